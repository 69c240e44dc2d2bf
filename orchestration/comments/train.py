"""Refit ``classifier.npz`` from ``training.csv`` and rewrite ``phrase_vectors.npz`` from the
themes seed: ``python -m orchestration.comments.train``.

``python -m orchestration.comments.train --cross-validate`` prints the 5-fold cross-validated
sentiment accuracy on ``training.csv`` instead (nothing written): how settings and changes to
the training set are judged, without looking at the labelled evaluation set in ``tests/``.
"""

import sys

import numpy as np

from orchestration.comments.classifier import (
    MODEL_FILE,
    SENTIMENTS,
    CommentClassifier,
    TrainingSet,
    read_training_set,
)
from orchestration.comments.model import Embedder
from orchestration.comments.phrases import PHRASE_FILE, write_cache
from orchestration.comments.themes import load_themes

FOLDS = 5


def _subset(training: TrainingSet, rows: np.ndarray) -> TrainingSet:
    return TrainingSet(
        texts=[training.texts[i] for i in rows],
        sentiments=training.sentiments[rows],
        has_topic=training.has_topic[rows],
    )


def cross_validated_accuracy(vectors: np.ndarray, training: TrainingSet) -> float:
    """Share of training comments whose sentiment a model fitted without their fold gets right
    (folds from a fixed shuffle, so the figure is reproducible)."""
    order = np.random.default_rng(0).permutation(len(training.texts))
    hits = 0
    for fold in np.array_split(order, FOLDS):
        kept = np.setdiff1d(order, fold)
        model = CommentClassifier.fit(vectors[kept], _subset(training, kept))
        labels = [label for label, _ in model.sentiment(vectors[fold])]
        hits += sum(
            label == SENTIMENTS[training.sentiments[i]]
            for label, i in zip(labels, fold, strict=True)
        )
    return hits / len(training.texts)


def main() -> None:
    embedder = Embedder()
    training = read_training_set()
    if "--cross-validate" in sys.argv[1:]:
        accuracy = cross_validated_accuracy(embedder.encode(training.texts), training)
        print(
            f"{FOLDS}-fold sentiment accuracy on {len(training.texts)} training comments:"
            f" {accuracy:.3f}"
        )
        return
    CommentClassifier.fit(embedder.encode(training.texts), training).save(MODEL_FILE)
    print(f"wrote {MODEL_FILE} from {len(training.texts)} training comments")
    phrases = [phrase for theme in load_themes() for phrase in theme.phrases]
    write_cache(phrases, embedder.encode(phrases))
    print(f"wrote {PHRASE_FILE} with the {len(phrases)} phrases of the themes seed")


if __name__ == "__main__":
    main()
