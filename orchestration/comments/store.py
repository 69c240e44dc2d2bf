"""The ``enrich`` tables: scores cached by text fingerprint, model version and themes version.

- ``enrich.comment_fingerprints``: md5 of each exact comment text seen in raw (dbt joins on
  ``md5(comment)``) and the fingerprint of its normalised text. No comment text is stored here.
- ``enrich.comment_scores``: one row per fingerprint, model version and themes version.
- ``enrich.comment_theme_matches``: the themes a scored comment mentions (one row each).

A run scores only fingerprints without a row for the current versions: new comments, or every
comment once after the model or the themes seed changed; then it deletes the rows of other
versions, so the tables hold exactly the current scores that dbt reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb

from orchestration.comments.scoring import Scorer, shared_scorer
from orchestration.comments.text import fingerprint

BATCH_SIZE = 256

DDL = (
    "create schema if not exists enrich",
    """create table if not exists enrich.comment_fingerprints (
        text_md5 varchar primary key,
        comment_fingerprint varchar not null,
        first_seen_at timestamp not null
    )""",
    """create table if not exists enrich.comment_scores (
        comment_fingerprint varchar not null,
        model_version varchar not null,
        themes_version varchar not null,
        language varchar not null,
        language_probability double not null,
        sentiment_label varchar not null,
        sentiment_score double not null,
        primary_theme_id varchar,
        scored_at timestamp not null,
        primary key (comment_fingerprint, model_version, themes_version)
    )""",
    """create table if not exists enrich.comment_theme_matches (
        comment_fingerprint varchar not null,
        model_version varchar not null,
        themes_version varchar not null,
        theme_id varchar not null,
        theme_score double not null,
        is_primary boolean not null,
        primary key (comment_fingerprint, model_version, themes_version, theme_id)
    )""",
)

_COMMENTS = (
    "select distinct comment from raw.survey_responses where nullif(trim(comment), '') is not null"
)


@dataclass(frozen=True)
class ScoringReport:
    distinct_texts: int
    new_texts: int
    scored: int
    seconds: float
    model_version: str
    themes_version: str

    def summary(self) -> str:
        rate = f", {self.scored / self.seconds:.0f}/s" if self.scored and self.seconds else ""
        return (
            f"comments: {self.distinct_texts} distinct texts, {self.new_texts} new, "
            f"{self.scored} scored in {self.seconds:.1f} s{rate} ({self.themes_version})"
        )


def ensure_enrich_tables(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def record_new_texts(con: duckdb.DuckDBPyConnection) -> int:
    """Fingerprint every comment text not seen before; returns how many."""
    new = con.execute(
        f"select comment from ({_COMMENTS}) "
        "where md5(comment) not in (select text_md5 from enrich.comment_fingerprints)"
    ).fetchall()
    if new:
        con.executemany(
            "insert into enrich.comment_fingerprints values (md5(?), ?, current_timestamp)",
            [(text, fingerprint(text)) for (text,) in new],
        )
    return len(new)


def pending(
    con: duckdb.DuckDBPyConnection, model_version: str, themes_version: str
) -> list[tuple[str, str]]:
    """(fingerprint, one of its texts) for every fingerprint in raw without current scores."""
    return con.execute(
        f"""
        select f.comment_fingerprint, min(c.comment)
        from ({_COMMENTS}) as c
        inner join enrich.comment_fingerprints as f on md5(c.comment) = f.text_md5
        where not exists (
            select 1 from enrich.comment_scores as s
            where s.comment_fingerprint = f.comment_fingerprint
                and s.model_version = $model and s.themes_version = $themes
        )
        group by f.comment_fingerprint
        order by f.comment_fingerprint
        """,
        {"model": model_version, "themes": themes_version},
    ).fetchall()


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_batch(
    con: duckdb.DuckDBPyConnection, scorer: Scorer, batch: list[tuple[str, str]]
) -> None:
    scores = scorer.score([text for _, text in batch])
    versions = (scorer.model_version, scorer.themes_version)
    con.execute("begin transaction")
    try:
        con.executemany(
            "insert into enrich.comment_scores values (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [
                (key, *versions, s.language, s.language_probability, s.sentiment_label,
                 s.sentiment_score, s.primary_theme_id)
                for (key, _), s in zip(batch, scores, strict=True)
            ],
        )  # fmt: skip
        matches = [
            (key, *versions, theme_id, value, rank == 0)
            for (key, _), s in zip(batch, scores, strict=True)
            for rank, (theme_id, value) in enumerate(s.themes)
        ]
        if matches:
            con.executemany(
                "insert into enrich.comment_theme_matches values (?, ?, ?, ?, ?, ?)", matches
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _delete_other_versions(
    con: duckdb.DuckDBPyConnection, model_version: str, themes_version: str
) -> None:
    """Scores of an earlier model or seed: stale once every comment has a current score."""
    for table in ("comment_theme_matches", "comment_scores"):
        con.execute(
            f"delete from enrich.{table}"
            " where model_version <> $model or themes_version <> $themes",
            {"model": model_version, "themes": themes_version},
        )


def score_new_comments(
    con: duckdb.DuckDBPyConnection, scorer: Scorer | None = None, batch_size: int = BATCH_SIZE
) -> ScoringReport:
    """Fingerprint new comment texts and score those without scores for the current versions."""
    started = time.perf_counter()
    scorer = scorer or shared_scorer()
    ensure_enrich_tables(con)
    new_texts = record_new_texts(con)
    todo = pending(con, scorer.model_version, scorer.themes_version)
    for batch in _batches(todo, batch_size):
        _write_batch(con, scorer, batch)
    _delete_other_versions(con, scorer.model_version, scorer.themes_version)
    distinct = con.execute(f"select count(*) from ({_COMMENTS})").fetchall()[0][0]
    return ScoringReport(
        distinct_texts=distinct,
        new_texts=new_texts,
        scored=len(todo),
        seconds=time.perf_counter() - started,
        model_version=scorer.model_version,
        themes_version=scorer.themes_version,
    )
