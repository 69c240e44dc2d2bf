"""What customers write: the comment marts reproduce the comments the sample was planted with.

truth.json `expected.comments` lists every valid response whose comment the generator took
from vocab.PLANTED_COMMENTS, with that comment's sentiment and theme. Each planted text is one
plain, one-topic sentence, and every copy of a text shares one score (same fingerprint), so the
tolerance is zero: a count tolerance would only hide a text scored wrongly. How well the model
reads customer-style text is measured separately, by `cjm benchmark --comments`.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def _planted(truth: dict) -> dict:
    comments = truth["expected"].get("comments")
    assert comments, "seeds/truth.json has no planted comments: regenerate seeds/ (cjm generate)"
    return comments


def test_every_planted_comment_has_its_sentiment_and_theme(sample_run, truth):
    planted = _planted(truth)["responses"]
    rows = {
        response_id: (sentiment, theme)
        for response_id, sentiment, theme in sample_run.query(
            "select survey_response_id, sentiment_label, primary_theme_id"
            " from marts.fct_survey_comments",
            published=True,
        )
    }
    wrong = {
        response_id: (expected, rows.get(response_id))
        for response_id, expected in planted.items()
        if rows.get(response_id) != (expected["sentiment"], expected["theme"])
    }
    assert len(planted) > 100
    assert not wrong, f"{len(wrong)} of {len(planted)} planted comments differ: {wrong}"


def test_one_row_per_valid_response_with_a_comment(sample_run):
    expected = sample_run.scalar(
        "select count(*) from marts.fct_survey_responses"
        " where is_valid_response and nullif(trim(comment), '') is not null",
        published=True,
    )
    assert sample_run.scalar("select count(*) from marts.fct_survey_comments", published=True) == (
        expected
    )


def test_theme_mentions_include_the_planted_ones(sample_run, truth):
    by_theme = _planted(truth)["by_theme"]
    rows = {
        theme: (mentions, negative, positive)
        for theme, mentions, negative, positive in sample_run.query(
            "select theme_id, mentions, negative_mentions, positive_mentions"
            " from marts.agg_comment_themes"
            " where period_grain = 'all' and scope_type = 'overall'",
            published=True,
        )
    }
    for theme, counts in by_theme.items():
        mentions, negative, positive = rows[theme]
        # The template comments of the generator may mention a theme too: at least, not equal.
        assert mentions >= sum(counts.values()), theme
        assert negative >= counts["negative"], theme
        assert positive >= counts["positive"], theme


def test_theme_nps_is_the_nps_of_those_who_mention_it(sample_run):
    """agg_comment_themes against a direct count over fct_survey_comments' theme lists."""
    comments = sample_run.query(
        "select touchpoint_id, theme_ids, nps_category from marts.fct_survey_comments"
        " where theme_ids is not null",
        published=True,
    )
    expected: dict[tuple[str, str], list[int]] = {}
    for touchpoint, theme_ids, category in comments:
        for theme in theme_ids.split(", "):
            for scope in ("all", touchpoint):
                if scope is None:
                    continue
                counts = expected.setdefault((scope, theme), [0, 0, 0, 0])
                counts[0] += 1
                counts[1] += category is not None
                counts[2] += category == "promoter"
                counts[3] += category == "detractor"
    rows = sample_run.query(
        "select scope_id, theme_id, mentions, nps_responses, promoters, detractors, nps"
        " from marts.agg_comment_themes where period_grain = 'all'",
        published=True,
    )
    assert len(rows) == len(expected)
    for scope, theme, *counts, nps in rows:
        assert counts == expected[(scope, theme)], (scope, theme)
        _, scored, promoters, detractors = counts
        assert nps == pytest.approx(100.0 * (promoters - detractors) / scored)
