"""Headless Chromium with the network switched off: the DOM a page renders, and screenshots.

Debian's `chromium` package (`.ci/run` installs it when missing). Every call gets a fresh
profile; a proxy on a closed port and a resolver that finds no host keep the page from reaching
anything but the file it was opened from. ``--virtual-time-budget`` lets the page's scripts
(and Vega's rendering) finish before the DOM is dumped or the screenshot taken.

``python -m tests.browser docs/journey_map.png`` (``make screenshots``) runs the main job on the
bundled sample in a temporary folder, writes the journey map page and screenshots it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CLOSED_PORT = 9  # discard: nothing listens on it here


def chromium_binary() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _run(args: list[str], page: Path, fragment: str, budget_ms: int) -> str:
    binary = chromium_binary()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="cjm-chromium-") as profile:
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--proxy-server=127.0.0.1:{CLOSED_PORT}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--virtual-time-budget={budget_ms}",
            *args,
            page.resolve().as_uri() + (f"#{fragment}" if fragment else ""),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def dump_dom(page: Path, fragment: str = "", budget_ms: int = 20000) -> str:
    """The page's DOM after its scripts ran, as HTML."""
    return _run(["--dump-dom"], page, fragment, budget_ms)


def screenshot(
    page: Path,
    png: Path,
    fragment: str = "",
    width: int = 1400,
    height: int = 1900,
    budget_ms: int = 20000,
) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    args = [f"--screenshot={png.resolve()}", f"--window-size={width},{height}"]
    _run(args, page, fragment, budget_ms)
    return png


def main(argv: list[str]) -> int:
    """Sample run in a temporary folder, journey map page, screenshot to argv[0]."""
    target = Path(argv[0] if argv else "docs/journey_map.png").resolve()
    repo = Path(__file__).resolve().parents[1]
    cjm = Path(sys.executable).with_name("cjm")
    with tempfile.TemporaryDirectory(prefix="cjm-screenshots-") as tmp:
        warehouse = Path(tmp) / "cjm.duckdb"
        env = {**os.environ, "DAGSTER_HOME": str(Path(tmp) / "dagster_home")}
        run = [str(cjm), "run", "--landing", str(repo / "seeds"), "--warehouse", str(warehouse)]
        subprocess.run(run, check=True, env=env, stdout=subprocess.DEVNULL)
        page = Path(tmp) / "journey_map.html"
        report = [str(cjm), "report", "--warehouse", str(warehouse), "--output", str(page)]
        subprocess.run(report, check=True, env=env)
        screenshot(page, target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
