"""Headless Chromium with the network switched off: the DOM a page renders, and screenshots.

Debian's `chromium` package (`.ci/run` installs it when missing). Every call gets a fresh
profile; a proxy on a closed port and a resolver that finds no host keep the page from reaching
anything but the file it was opened from. ``--virtual-time-budget`` lets the page's scripts
(and Vega's rendering) finish before the DOM is dumped or the screenshot taken.

``python -m tests.browser docs/journey_map.png`` (``make screenshots``) runs the main job on the
bundled sample in a temporary folder, writes the journey map page and screenshots it, then
starts the Dagster UI on that run's instance and screenshots its lineage pages.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CLOSED_PORT = 9  # discard: nothing listens on it here


def chromium_binary() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _address(page: Path | str, fragment: str) -> str:
    """A file's URI, or an http://127.0.0.1 address as it is (loopback is never proxied)."""
    address = page if isinstance(page, str) else page.resolve().as_uri()
    return address + (f"#{fragment}" if fragment else "")


def _run(
    args: list[str], page: Path | str, fragment: str, budget_ms: int, offline: bool = True
) -> str:
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
            # offline: no host resolves and every request goes to a closed port (loopback
            # included, so a local server such as the Dagster UI needs offline=False)
            *(
                [f"--proxy-server=127.0.0.1:{CLOSED_PORT}", "--host-resolver-rules=MAP * ~NOTFOUND"]
                if offline
                else []
            ),
            f"--virtual-time-budget={budget_ms}",
            *args,
            _address(page, fragment),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def dump_dom(
    page: Path | str,
    fragment: str = "",
    budget_ms: int = 20000,
    offline: bool = True,
    window: tuple[int, int] | None = None,
) -> str:
    """The page's DOM after its scripts ran, as HTML (``window``: its size, for pages that only
    render what is in view, such as Dagster's asset graph)."""
    size = [f"--window-size={window[0]},{window[1]}"] if window else []
    return _run(["--dump-dom", *size], page, fragment, budget_ms, offline)


def dump_dom_until(page: Path | str, marker: str, tries: int = 3, budget_ms: int = 25000,
                   **kwargs: object) -> str:  # fmt: skip
    """``dump_dom`` again, with a longer time budget each try, until the DOM holds ``marker``;
    the last DOM either way. Dagster's asset graph is laid out in a web worker after the page
    loaded, which on a busy machine can take longer than one budget."""
    dom = ""
    for attempt in range(1, tries + 1):
        dom = dump_dom(page, budget_ms=budget_ms * attempt, **kwargs)  # type: ignore[arg-type]
        if marker in dom:
            break
    return dom


def screenshot(
    page: Path | str,
    png: Path,
    fragment: str = "",
    width: int = 1400,
    height: int = 1900,
    budget_ms: int = 20000,
    offline: bool = True,
) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    args = [f"--screenshot={png.resolve()}", f"--window-size={width},{height}"]
    _run(args, page, fragment, budget_ms, offline)
    return png


# The Dagster UI pages the tests and docs/ show: the global asset lineage (groups from landing
# to publish) and the ingestion group with each raw table's state and checks.
LINEAGE_PAGE = "/asset-groups"
INGESTION_PAGE = "/locations/orchestration.definitions/asset-groups/ingestion"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dagster_ui(dagster_home: Path, warehouse: Path, landing: Path) -> Iterator[str]:
    """`dagster dev` on 127.0.0.1 for the instance in ``dagster_home`` (which holds the runs);
    yields its base URL once it answers, and stops its whole process group afterwards."""
    repo = Path(__file__).resolve().parents[1]
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "CJM_WAREHOUSE": str(warehouse),
        "CJM_LANDING": str(landing),
    }
    env.pop("CJM_PUBLISHED", None)
    dagster = Path(sys.executable).with_name("dagster")
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [str(dagster), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1",
             "-p", str(port)],
            cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/server_info", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"dagster dev did not start: {log.read()[-3000:]!r}")
                time.sleep(1)
            yield base
        finally:
            # dagster dev ignores SIGTERM/SIGINT when started like this (STACK.md): stop the group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main(argv: list[str]) -> int:
    """Sample run in a temporary folder; screenshots of the journey map page (argv[0]) and of
    the Dagster UI after that run (docs/dagster_lineage.png, docs/dagster_ingestion.png)."""
    target = Path(argv[0] if argv else "docs/journey_map.png").resolve()
    repo = Path(__file__).resolve().parents[1]
    cjm = Path(sys.executable).with_name("cjm")
    with tempfile.TemporaryDirectory(prefix="cjm-screenshots-") as tmp:
        warehouse = Path(tmp) / "cjm.duckdb"
        home = Path(tmp) / "dagster_home"
        env = {**os.environ, "DAGSTER_HOME": str(home)}
        run = [str(cjm), "run", "--landing", str(repo / "seeds"), "--warehouse", str(warehouse)]
        subprocess.run(run, check=True, env=env, stdout=subprocess.DEVNULL)
        page = Path(tmp) / "journey_map.html"
        report = [str(cjm), "report", "--warehouse", str(warehouse), "--output", str(page)]
        subprocess.run(report, check=True, env=env)
        screenshot(page, target)
        print(f"wrote {target}")
        with dagster_ui(home, warehouse, repo / "seeds") as base:
            for name, path in (("lineage", LINEAGE_PAGE), ("ingestion", INGESTION_PAGE)):
                png = target.with_name(f"dagster_{name}.png")
                screenshot(
                    base + path, png, width=1600, height=1000, budget_ms=25000, offline=False
                )
                print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
