"""Normalising comment text and the fingerprints that key the score cache."""

import hashlib
import unicodedata


def normalise(text: str) -> str:
    """Unicode NFC, whitespace runs as one space, trimmed: the text the model scores."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fingerprint(text: str) -> str:
    """sha256 of the normalised, case-folded text: one score for 'Zu teuer' and 'zu teuer '."""
    return hashlib.sha256(normalise(text).casefold().encode("utf-8")).hexdigest()


def text_md5(text: str) -> str:
    """md5 of the exact text as UTF-8; equals DuckDB's ``md5(comment)`` (dbt joins on it)."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()
