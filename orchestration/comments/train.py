"""Refit ``classifier.npz`` from ``training.csv``: ``python -m orchestration.comments.train``."""

from orchestration.comments.classifier import MODEL_FILE, CommentClassifier, read_training_set
from orchestration.comments.model import Embedder


def main() -> None:
    training = read_training_set()
    CommentClassifier.fit(Embedder().encode(training.texts), training).save(MODEL_FILE)
    print(f"wrote {MODEL_FILE} from {len(training.texts)} training comments")


if __name__ == "__main__":
    main()
