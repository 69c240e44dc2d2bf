"""Score a batch of comment texts: language, sentiment, themes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from orchestration.comments.classifier import CommentClassifier
from orchestration.comments.model import Embedder, LanguageDetector
from orchestration.comments.phrases import phrase_vectors
from orchestration.comments.text import normalise
from orchestration.comments.themes import Theme, ThemeMatcher, load_themes, themes_version

MEMO_LIMIT = 50_000  # scores kept per process (a few MB); cleared when full


@dataclass(frozen=True)
class CommentScore:
    language: str  # 'de', 'en' or 'other'
    language_probability: float
    sentiment_label: str  # 'negative', 'neutral' or 'positive'
    sentiment_score: float  # P(positive) - P(negative), -1..1
    top_theme_id: str  # the best-ranked theme, mentioned or not (for evaluation)
    themes: list[tuple[str, float]]  # mentioned themes with their scores, best first

    @property
    def primary_theme_id(self) -> str | None:
        return self.themes[0][0] if self.themes else None


@dataclass
class Scorer:
    """Everything a run needs to score comments; the models load on the first ``score``."""

    themes: list[Theme] = field(default_factory=load_themes)
    embedder: Embedder = field(default_factory=Embedder)
    detector: LanguageDetector = field(default_factory=LanguageDetector)
    _classifier: CommentClassifier | None = None
    _matcher: ThemeMatcher | None = None
    _memo: dict[str, CommentScore] = field(default_factory=dict)
    model_version: str = field(init=False)

    def __post_init__(self) -> None:
        self.model_version = "+".join(
            (self.embedder.version(), self.detector.version(), CommentClassifier.version())
        )

    @property
    def themes_version(self) -> str:
        return themes_version(self.themes)

    def _models(self) -> tuple[CommentClassifier, ThemeMatcher]:
        if self._classifier is None or self._matcher is None:
            self.detector.preload()  # reads its model file while the phrases are prepared
            self._classifier = CommentClassifier.load()
            phrases = [phrase for theme in self.themes for phrase in theme.phrases]
            self._matcher = ThemeMatcher.build(
                self.themes, phrase_vectors(phrases, self.embedder), self._classifier.background
            )
        return self._classifier, self._matcher

    def score(self, texts: list[str]) -> list[CommentScore]:
        """Scores of ``texts``; texts this scorer has scored before are not scored again."""
        normalised = [normalise(text) for text in texts]
        new = sorted({text for text in normalised if text not in self._memo})
        if new:
            if len(self._memo) + len(new) > MEMO_LIMIT:
                self._memo.clear()
            self._memo.update(zip(new, self._score(new), strict=True))
        return [self._memo[text] for text in normalised]

    def _score(self, normalised: list[str]) -> list[CommentScore]:
        classifier, matcher = self._models()
        vectors = self.embedder.encode(normalised)
        languages = self.detector.detect_all(normalised)
        themes = matcher.match(vectors, classifier.topic_probability(vectors))
        return [
            CommentScore(language, probability, label, value, top, mentioned)
            for (language, probability), (label, value), (top, mentioned) in zip(
                languages, classifier.sentiment(vectors), themes, strict=True
            )
        ]


@lru_cache(maxsize=2)
def _scorer_for(themes: tuple[Theme, ...]) -> Scorer:
    return Scorer(themes=list(themes))


def shared_scorer() -> Scorer:
    """The scorer of the current themes seed, one per process and seed.

    ``cjm run`` scores once per process, so this changes nothing there; in ``make ui`` and in
    the tests, which run the job many times in one process, the models load once and a text
    already scored (same normalised text, same seed, same model) is not scored again."""
    return _scorer_for(tuple(load_themes()))
