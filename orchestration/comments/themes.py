"""Themes from the analysts' seed ``dbt_project/seeds/comment_themes.csv`` (its one home).

Each theme has descriptions in English and German; ``|`` separates phrases inside a
description. A comment's score for a theme is how much closer its e5 vector is to the theme's
phrases than an ordinary customer comment is: for every phrase the cosine similarity is
standardised against the background (the sentiment training set, a mix of every topic and
none: ``(similarity - mean) / standard deviation``), and the theme's score is the mean over its
phrases. Without the background, broad phrases ("the product") attract every comment.

Which themes a comment mentions: none when the topic classifier (``classifier.py``) says it is
a general remark ("ok", "Passt alles", "Danke") or when even its best theme is no closer than an
average comment; otherwise its best theme (the primary theme) and every other theme that scores
at least ``MIN_SECONDARY_SCORE``. The settings were chosen by cross-validation on the training
set, never on the labelled evaluation set.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestration.transform.manifest import default_project_dir as dbt_project_dir

DESCRIPTION_COLUMNS = ("description_en", "description_de")
MIN_TOPIC_PROBABILITY = 0.5  # below: a general remark, no theme
MIN_PRIMARY_SCORE = 0.0  # the best theme must be closer than an average comment
MIN_SECONDARY_SCORE = 1.0  # further themes: one background standard deviation closer


def themes_seed_path() -> Path:
    return dbt_project_dir() / "seeds" / "comment_themes.csv"


@dataclass(frozen=True)
class Theme:
    theme_id: str
    theme_name: str
    phrases: tuple[str, ...]


def load_themes(path: Path | None = None) -> list[Theme]:
    """The themes of the seed; phrases are the ``|``-separated parts of both descriptions."""
    path = path or themes_seed_path()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    themes = []
    for number, row in enumerate(rows, start=2):
        phrases = tuple(
            phrase.strip()
            for column in DESCRIPTION_COLUMNS
            for phrase in (row.get(column) or "").split("|")
            if phrase.strip()
        )
        if not row.get("theme_id") or not phrases:
            raise ValueError(
                f"{path}, line {number}: a theme needs a theme_id and at least one phrase in "
                f"{' or '.join(DESCRIPTION_COLUMNS)}; fix the row or remove it."
            )
        themes.append(Theme(row["theme_id"].strip(), row["theme_name"].strip(), phrases))
    return themes


def themes_version(themes: list[Theme]) -> str:
    """Hash of what scoring reads from the seed: editing a phrase rescores every comment."""
    canonical = "\n".join(f"{t.theme_id}\t" + "\t".join(t.phrases) for t in themes)
    return "themes-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class ThemeMatcher:
    theme_ids: tuple[str, ...]
    phrase_vectors: np.ndarray  # (phrases, 384)
    phrase_theme: np.ndarray  # (phrases,) index into theme_ids
    background_mean: np.ndarray  # (phrases,)
    background_std: np.ndarray  # (phrases,)

    @classmethod
    def build(
        cls, themes: list[Theme], phrase_vectors: np.ndarray, background: np.ndarray
    ) -> ThemeMatcher:
        similarities = background @ phrase_vectors.T
        return cls(
            theme_ids=tuple(t.theme_id for t in themes),
            phrase_vectors=phrase_vectors,
            phrase_theme=np.array([i for i, t in enumerate(themes) for _ in t.phrases]),
            background_mean=similarities.mean(axis=0),
            background_std=np.maximum(similarities.std(axis=0), 1e-6),
        )

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """(comments, themes): mean standardised similarity to each theme's phrases."""
        standardised = (vectors @ self.phrase_vectors.T - self.background_mean) / (
            self.background_std
        )
        return np.stack(
            [
                standardised[:, self.phrase_theme == index].mean(axis=1)
                for index in range(len(self.theme_ids))
            ],
            axis=1,
        )

    def match(
        self, vectors: np.ndarray, topic_probabilities: np.ndarray
    ) -> list[tuple[str, list[tuple[str, float]]]]:
        """Per comment: the best-ranked theme, and the themes it mentions (best first, may be
        empty) with their scores."""
        results = []
        for row, topic in zip(self.scores(vectors), topic_probabilities, strict=True):
            order = np.argsort(-row)
            best = int(order[0])
            mentioned: list[tuple[str, float]] = []
            if topic >= MIN_TOPIC_PROBABILITY and row[best] >= MIN_PRIMARY_SCORE:
                mentioned = [
                    (self.theme_ids[i], round(float(row[i]), 4))
                    for i in order
                    if i == best or row[i] >= MIN_SECONDARY_SCORE
                ]
            results.append((self.theme_ids[best], mentioned))
        return results
