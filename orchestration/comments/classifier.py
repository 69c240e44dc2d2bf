"""Two small classifiers on the e5 vectors, fitted on ``training.csv`` (shipped here).

- sentiment: three-class logistic regression (negative / neutral / positive), averaged with
  the labels of the comment's 5 nearest training comments (cosine similarity); the score is
  P(positive) - P(negative) of the average, in [-1, 1].
- topic presence: binary logistic regression, "does the comment talk about something specific
  (any theme) or is it a general remark ('ok', 'Passt alles', 'Danke')". It does not know the
  themes, so analysts can edit the themes seed without refitting.

``training.csv`` (text, sentiment, theme) is a set of German and English comments written
for fitting only; nothing is fitted on the labelled evaluation set in ``tests/``. The settings
below were chosen by 5-fold cross-validation on ``training.csv``. The model file also keeps the
training set's vectors: the theme matcher uses them as the background of "an ordinary customer
comment" (see ``themes.py``). Refit after changing the training set or the embedding model with
``python -m orchestration.comments.train`` (about 10 s); the model version, and so every cached
score, changes with the file.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PACKAGE_DIR = Path(__file__).resolve().parent
TRAINING_CSV = PACKAGE_DIR / "training.csv"
MODEL_FILE = PACKAGE_DIR / "classifier.npz"
SENTIMENTS = ("negative", "neutral", "positive")
NO_THEME = "none"
SCALE = 10.0  # centred vectors are multiplied by this before the linear layer
NEIGHBOURS = 5  # nearest training comments whose labels are averaged with the regression
NEIGHBOUR_WEIGHT = 0.5
SENTIMENT_L2 = 1e-3
TOPIC_L2 = 1e-2
STEPS = 2000
LEARNING_RATE = 1.0


@dataclass(frozen=True)
class TrainingSet:
    texts: list[str]
    sentiments: np.ndarray  # index into SENTIMENTS
    has_topic: np.ndarray  # 1 when the row names a theme


def read_training_set(path: Path = TRAINING_CSV) -> TrainingSet:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return TrainingSet(
        texts=[row["text"] for row in rows],
        sentiments=np.array([SENTIMENTS.index(row["sentiment"]) for row in rows]),
        has_topic=np.array([int(row["theme"] != NO_THEME) for row in rows]),
    )


def design(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    scaled = (vectors - centre) * SCALE
    return np.hstack([scaled, np.ones((len(vectors), 1), dtype=scaled.dtype)])


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def fit_logistic(features: np.ndarray, labels: np.ndarray, classes: int, l2: float) -> np.ndarray:
    """Multinomial logistic regression by full-batch gradient descent (the set is small).

    Two classes are fitted as a two-column softmax, which equals the binary model."""
    targets = np.eye(classes)[labels]
    weights = np.zeros((features.shape[1], classes))
    penalised = np.ones((features.shape[1], 1))
    penalised[-1] = 0.0  # no penalty on the intercept
    for _ in range(STEPS):
        gradient = features.T @ (softmax(features @ weights) - targets) / len(features)
        weights -= LEARNING_RATE * (gradient + l2 * penalised * weights)
    return weights


@dataclass(frozen=True)
class CommentClassifier:
    centre: np.ndarray  # (384,) mean training vector
    sentiment_weights: np.ndarray  # (385, 3)
    topic_weights: np.ndarray  # (385, 2)
    background: np.ndarray  # (n, 384) the training set's vectors
    background_sentiments: np.ndarray  # (n,) their sentiment, index into SENTIMENTS

    @classmethod
    def fit(cls, vectors: np.ndarray, training: TrainingSet) -> CommentClassifier:
        centre = vectors.mean(axis=0)
        features = design(vectors, centre)
        return cls(
            centre=centre,
            sentiment_weights=fit_logistic(features, training.sentiments, 3, SENTIMENT_L2),
            topic_weights=fit_logistic(features, training.has_topic, 2, TOPIC_L2),
            background=vectors.astype(np.float32),
            background_sentiments=training.sentiments,
        )

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> CommentClassifier:
        with np.load(path) as data:
            return cls(
                centre=data["centre"],
                sentiment_weights=data["sentiment_weights"],
                topic_weights=data["topic_weights"],
                background=data["background"].astype(np.float32),
                background_sentiments=data["background_sentiments"],
            )

    def save(self, path: Path = MODEL_FILE) -> None:
        np.savez_compressed(
            path,
            centre=self.centre,
            sentiment_weights=self.sentiment_weights,
            topic_weights=self.topic_weights,
            background=self.background.astype(np.float16),
            background_sentiments=self.background_sentiments,
        )

    @staticmethod
    def version(path: Path = MODEL_FILE) -> str:
        return "classifier-" + hashlib.sha256(path.read_bytes()).hexdigest()[:12]

    def sentiment(self, vectors: np.ndarray) -> list[tuple[str, float]]:
        """Label and score (P(positive) - P(negative)) per vector."""
        regression = softmax(design(vectors, self.centre) @ self.sentiment_weights)
        nearest = np.argsort(-(vectors @ self.background.T), axis=1)[:, :NEIGHBOURS]
        neighbours = np.stack(
            [
                np.bincount(self.background_sentiments[row], minlength=3) / NEIGHBOURS
                for row in nearest
            ]
        )
        probabilities = (1 - NEIGHBOUR_WEIGHT) * regression + NEIGHBOUR_WEIGHT * neighbours
        return [
            (SENTIMENTS[int(row.argmax())], round(float(row[2] - row[0]), 4))
            for row in probabilities
        ]

    def topic_probability(self, vectors: np.ndarray) -> np.ndarray:
        """P(the comment talks about something specific) per vector."""
        return softmax(design(vectors, self.centre) @ self.topic_weights)[:, 1]
