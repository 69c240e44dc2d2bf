"""Score a batch of comment texts: language, sentiment, themes."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.comments.classifier import CommentClassifier
from orchestration.comments.model import Embedder, LanguageDetector
from orchestration.comments.phrases import phrase_vectors
from orchestration.comments.text import normalise
from orchestration.comments.themes import Theme, ThemeMatcher, load_themes, themes_version


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

    @property
    def model_version(self) -> str:
        return "+".join(
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
        if not texts:
            return []
        classifier, matcher = self._models()
        normalised = [normalise(text) for text in texts]
        vectors = self.embedder.encode(normalised)
        languages = self.detector.detect_all(normalised)
        themes = matcher.match(vectors, classifier.topic_probability(vectors))
        return [
            CommentScore(language, probability, label, value, top, mentioned)
            for (language, probability), (label, value), (top, mentioned) in zip(
                languages, classifier.sentiment(vectors), themes, strict=True
            )
        ]
