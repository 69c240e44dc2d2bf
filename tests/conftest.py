"""Shared fixtures: the repository paths and a quiet environment for Dagster, dbt and GX."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_LANDING = REPO_ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def sample_landing() -> Path:
    return SAMPLE_LANDING


def make_landing(root: Path, files: dict[str, Path | bytes | str]) -> Path:
    """A landing folder with ``files`` (relative path -> fixture path, bytes or text)."""
    landing = root / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        target = landing / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return landing
