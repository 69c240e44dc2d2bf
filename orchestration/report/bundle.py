"""The Vega, Vega-Lite and Vega-Embed JavaScript that the journey map page inlines.

vl-convert-python ships the three libraries and bundles them into one script with no imports
(``vl_convert.javascript_bundle``), so the page renders its charts with no network. Bundling
takes about 8 s; the result depends only on the vl-convert version and the Vega-Lite version,
so it is kept in a cache file (``$XDG_CACHE_HOME/cjm/`` or ``~/.cache/cjm/``; ``CJM_CACHE_DIR``
overrides) and later pages read it in milliseconds. ``make setup`` prepares it ahead
(``python -m orchestration.report.bundle``).
"""

from __future__ import annotations

import os
import tempfile
from importlib.metadata import version
from pathlib import Path

import altair as alt

# The Vega-Lite version Altair writes its specs for ("v6.4.1" -> "v6.4"): the page renders them
# with the same minor version.
VEGA_LITE_VERSION = ".".join(alt.SCHEMA_VERSION.split(".")[:2])


def cache_dir() -> Path:
    configured = os.environ.get("CJM_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cjm"


def bundle_path() -> Path:
    name = f"vega-embed-{version('vl-convert-python')}-{VEGA_LITE_VERSION}.js"
    return cache_dir() / name


def vega_bundle() -> str:
    """The bundled script (exposes ``vega``, ``vegaLite`` and ``vegaEmbed`` on ``window``)."""
    path = bundle_path()
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    import vl_convert

    script = vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)
    _write_atomically(path, script)
    return script


def _write_atomically(path: Path, text: str) -> None:
    """Write the cache file so that a parallel reader sees the old state or the whole file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as tmp:
            tmp.write(text)
        os.replace(tmp.name, path)
    except OSError:
        pass  # an unwritable cache only costs the next page the bundling time


if __name__ == "__main__":
    print(f"Vega bundle ready: {bundle_path()} ({len(vega_bundle()) / 1e6:.1f} MB)")
