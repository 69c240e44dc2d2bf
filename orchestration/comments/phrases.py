"""A shipped cache of the theme phrases' vectors, so a run does not embed the seed every time.

``phrase_vectors.npz`` holds the vectors of the phrases in the themes seed when the package was
built (``python -m orchestration.comments.train`` rewrites it). A phrase an analyst added or
changed since is not in it and is embedded at run time (about 20-40 ms a phrase); the cache is
keyed by the phrase's text and the embedding model, so a stale entry is never used.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from orchestration.comments.model import Embedder

PHRASE_FILE = Path(__file__).resolve().parent / "phrase_vectors.npz"


def phrase_key(phrase: str) -> str:
    return hashlib.sha256(f"{Embedder.version()}\n{phrase}".encode()).hexdigest()


def read_cache(path: Path = PHRASE_FILE) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    with np.load(path) as data:
        return dict(zip(data["keys"].tolist(), data["vectors"], strict=True))


def write_cache(phrases: list[str], vectors: np.ndarray, path: Path = PHRASE_FILE) -> None:
    np.savez_compressed(
        path, keys=np.array([phrase_key(p) for p in phrases]), vectors=vectors.astype(np.float32)
    )


def phrase_vectors(
    phrases: list[str], embedder: Embedder, cache: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """Vectors of ``phrases``: from the shipped cache where present, embedded otherwise."""
    cache = read_cache() if cache is None else cache
    keys = [phrase_key(p) for p in phrases]
    missing = [p for p, k in zip(phrases, keys, strict=True) if k not in cache]
    fresh = dict(zip((phrase_key(p) for p in missing), embedder.encode(missing), strict=True))
    return np.stack([cache.get(k, fresh.get(k)) for k in keys]).astype(np.float32)
