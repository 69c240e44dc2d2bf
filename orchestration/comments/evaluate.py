"""Accuracy and speed of comment scoring on a labelled set (``cjm benchmark --comments``).

The labelled set (``tests/fixtures/comments/labelled.csv``: text, language, sentiment, theme)
was written as customers write, independently of the generator's templates and of the
sentiment training set; nothing is fitted on it. Sentiment and theme accuracy are measured on
its German and English rows, language accuracy on all rows; ``theme`` 'none' marks comments
without a theme ("ok", "Passt alles").
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

from orchestration.comments.classifier import NO_THEME
from orchestration.comments.scoring import Scorer
from orchestration.resources import REPO_ROOT

LABELLED_CSV = REPO_ROOT / "tests" / "fixtures" / "comments" / "labelled.csv"


@dataclass(frozen=True)
class Evaluation:
    comments: int
    language_accuracy: float
    sentiment_accuracy: float  # de + en
    theme_top1_accuracy: float  # de + en rows with a theme: best-ranked theme == label
    theme_primary_accuracy: float  # de + en rows: primary theme (or none) == label
    theme_none_accuracy: float  # de + en rows without a theme: no theme found
    load_seconds: float  # models and theme phrases, before the first comment
    score_seconds: float
    mistakes: list[str]

    @property
    def comments_per_second(self) -> float:
        return self.comments / self.score_seconds if self.score_seconds else 0.0

    def lines(self) -> list[str]:
        return [
            f"comments scored: {self.comments} (labelled set, German, English and other)",
            f"  language accuracy:   {self.language_accuracy:.3f}",
            f"  sentiment accuracy:  {self.sentiment_accuracy:.3f}  (German and English)",
            f"  theme top-1:         {self.theme_top1_accuracy:.3f}  (comments with a theme: "
            "best-ranked theme)",
            f"  primary theme:       {self.theme_primary_accuracy:.3f}  (all German and English "
            "comments: mentioned theme or none, as the marts get it)",
            f"  no theme found:      {self.theme_none_accuracy:.3f}  (comments without a theme)",
            f"  model load:          {self.load_seconds:.2f} s",
            f"  scoring:             {self.score_seconds:.2f} s, "
            f"{self.comments_per_second:.1f} comments/s",
        ]


def read_labelled(path: Path = LABELLED_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _share(hits: list[bool]) -> float:
    return sum(hits) / len(hits) if hits else 0.0


def evaluate(path: Path = LABELLED_CSV, scorer: Scorer | None = None) -> Evaluation:
    rows = read_labelled(path)
    scorer = scorer or Scorer()
    started = time.perf_counter()
    scorer.score(["warm-up"])  # loads both models and embeds the theme phrases
    loaded = time.perf_counter()
    scores = scorer.score([row["text"] for row in rows])
    finished = time.perf_counter()
    known = [(r, s) for r, s in zip(rows, scores, strict=True) if r["language"] != "other"]
    themed = [(r, s) for r, s in known if r["theme"] != NO_THEME]
    unthemed = [(r, s) for r, s in known if r["theme"] == NO_THEME]
    mistakes = [
        f"{r['text']!r}: expected {r['sentiment']}/{r['theme']}, got "
        f"{s.sentiment_label}/{s.primary_theme_id or NO_THEME}"
        for r, s in known
        if r["sentiment"] != s.sentiment_label or r["theme"] != (s.primary_theme_id or NO_THEME)
    ]
    return Evaluation(
        comments=len(rows),
        language_accuracy=_share(
            [r["language"] == s.language for r, s in zip(rows, scores, strict=True)]
        ),
        sentiment_accuracy=_share([r["sentiment"] == s.sentiment_label for r, s in known]),
        theme_top1_accuracy=_share([r["theme"] == s.top_theme_id for r, s in themed]),
        theme_primary_accuracy=_share(
            [r["theme"] == (s.primary_theme_id or NO_THEME) for r, s in known]
        ),
        theme_none_accuracy=_share([s.primary_theme_id is None for _, s in unthemed]),
        load_seconds=loaded - started,
        score_seconds=finished - loaded,
        mistakes=mistakes,
    )
