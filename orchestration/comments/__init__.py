"""What customers write: language, sentiment and themes of survey comments, scored on this machine.

Plain Python (no Dagster): ``text`` (normalising and fingerprints), ``model`` (the embedding model
and the language detector, both shipped inside registry packages, loaded lazily), ``sentiment``
(a small classifier on the embeddings, fitted on ``sentiment_training.csv``), ``themes`` (the
analysts' seed ``dbt_project/seeds/comment_themes.csv``), ``scoring`` (one call that scores a batch
of texts), ``store`` (the ``enrich`` tables that cache the scores) and ``evaluate`` (accuracy on a
labelled set, for ``cjm benchmark --comments``). ``orchestration/comment_assets.py`` wraps them.
"""
