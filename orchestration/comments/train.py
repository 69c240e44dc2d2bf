"""Refit ``classifier.npz`` from ``training.csv`` and rewrite ``phrase_vectors.npz`` from the
themes seed: ``python -m orchestration.comments.train``."""

from orchestration.comments.classifier import MODEL_FILE, CommentClassifier, read_training_set
from orchestration.comments.model import Embedder
from orchestration.comments.phrases import PHRASE_FILE, write_cache
from orchestration.comments.themes import load_themes


def main() -> None:
    embedder = Embedder()
    training = read_training_set()
    CommentClassifier.fit(embedder.encode(training.texts), training).save(MODEL_FILE)
    print(f"wrote {MODEL_FILE} from {len(training.texts)} training comments")
    phrases = [phrase for theme in load_themes() for phrase in theme.phrases]
    write_cache(phrases, embedder.encode(phrases))
    print(f"wrote {PHRASE_FILE} with the {len(phrases)} phrases of the themes seed")


if __name__ == "__main__":
    main()
