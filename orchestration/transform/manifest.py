"""The dbt manifest Dagster reads: prepared once, re-prepared only when the dbt project changed.

Loading the code location must not parse the dbt project (``dbt parse`` takes seconds), so the
manifest is prepared ahead, like dagster-dbt's ``prepare_if_dev`` / ``prepare-and-package``:
``make setup`` runs ``python -m orchestration.transform.manifest``. Beside the manifest,
``target/cjm_manifest_state.json`` keeps a fingerprint of what it was prepared from (every
model, seed, macro, test and YAML file by content, the project and profile files, and the dbt
versions). Loading the code location only recomputes the fingerprint (milliseconds); when an
analyst has changed the project since, the manifest is prepared again before anything runs and
a line on stderr says so, so a stale manifest is never used silently.

Kept free of heavy imports (no dagster, no dbt): the fingerprint check runs at every start.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

WATCHED_FOLDERS = ("models", "seeds", "macros", "tests", "snapshots", "analyses")
WATCHED_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md", ".py"}
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
STATE_FILE = "cjm_manifest_state.json"
TARGET = "target"


def default_project_dir() -> Path:
    """The dbt project folder, absolute (dagster-dbt breaks seeds with relative paths)."""
    repo = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("CJM_DBT_PROJECT_DIR", repo / "dbt_project")).resolve()


def dbt_executable() -> str:
    """The dbt Dagster starts: ``cjm-dbt`` (dbt that dies with its parent, see
    orchestration/dbt_child.py) installed beside this Python, else the venv's plain dbt."""
    wrapper = Path(sys.executable).with_name("cjm-dbt")
    return str(wrapper if wrapper.exists() else Path(sys.executable).with_name("dbt"))


def _versions() -> str:
    found = []
    for package in ("dbt-core", "dbt-duckdb", "dagster-dbt"):
        try:
            found.append(f"{package}=={importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{package} missing")
    return ";".join(found)


def project_fingerprint(project_dir: Path) -> str:
    """sha256 over the dbt project's source files (path and content) and the dbt versions."""
    digest = hashlib.sha256(_versions().encode())
    files = [project_dir / name for name in PROJECT_FILES if (project_dir / name).is_file()]
    for folder in WATCHED_FOLDERS:
        files += [
            p
            for p in (project_dir / folder).rglob("*")
            if p.suffix in WATCHED_SUFFIXES and p.is_file()
        ]
    for path in sorted(files):
        digest.update(b"\0" + path.relative_to(project_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def manifest_path(project_dir: Path) -> Path:
    return project_dir / TARGET / "manifest.json"


def _state_path(project_dir: Path) -> Path:
    return project_dir / TARGET / STATE_FILE


def is_current(project_dir: Path) -> bool:
    """True when the manifest exists and was prepared from the project as it is now."""
    state = _state_path(project_dir)
    if not manifest_path(project_dir).is_file() or not state.is_file():
        return False
    try:
        prepared = json.loads(state.read_text(encoding="utf-8")).get("fingerprint")
    except ValueError:
        return False
    return prepared == project_fingerprint(project_dir)


@contextlib.contextmanager
def _prepare_lock(project_dir: Path) -> Iterator[None]:
    """One preparation at a time (two processes starting at once would race in target/)."""
    (project_dir / TARGET).mkdir(parents=True, exist_ok=True)
    with (project_dir / TARGET / ".cjm_prepare.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_manifest(project_dir: Path | None = None) -> Path:
    """``dbt parse`` into ``target/`` (manifest.json and partial_parse.msgpack, which every
    ``dbt build`` of the job starts from) and record the fingerprint it was prepared from."""
    project_dir = project_dir or default_project_dir()
    fingerprint = project_fingerprint(project_dir)
    started = time.monotonic()
    completed = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(project_dir),
         "--profiles-dir", str(project_dir), "--target-path", TARGET],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(
            f"`dbt parse` failed in {project_dir}; fix the dbt project and run again:\n"
            f"{completed.stdout}\n{completed.stderr}"
        )
    _state_path(project_dir).write_text(
        json.dumps(
            {
                "fingerprint": fingerprint,
                "prepared_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                "seconds": round(time.monotonic() - started, 1),
            }
        ),
        encoding="utf-8",
    )
    return manifest_path(project_dir)


def ensure_manifest(project_dir: Path | None = None, *, quiet: bool = False) -> Path:
    """The manifest path; prepares it first when it is missing or the project changed."""
    project_dir = project_dir or default_project_dir()
    if is_current(project_dir):
        return manifest_path(project_dir)
    with _prepare_lock(project_dir):
        if is_current(project_dir):  # another process prepared it while this one waited
            return manifest_path(project_dir)
        if not quiet:
            reason = (
                "the dbt project changed since its manifest was prepared"
                if manifest_path(project_dir).is_file()
                else "no dbt manifest yet"
            )
            print(f"{reason}: preparing it (dbt parse) ...", file=sys.stderr, flush=True)
        return prepare_manifest(project_dir)


def start_from_prepared_parse(target: Path, project_dir: Path | None = None) -> Path:
    """Give a dbt target folder of its own (a test's, `cjm forget`'s) the prepared parse, so
    that dbt parses only what changed instead of the whole project (dagster-dbt does the same
    for the job's ``dbt build``). Returns ``target``."""
    project_dir = project_dir or default_project_dir()
    target.mkdir(parents=True, exist_ok=True)
    prepared = project_dir / TARGET / "partial_parse.msgpack"
    if prepared.is_file() and not (target / prepared.name).exists():
        shutil.copyfile(prepared, target / prepared.name)
    return target


def main() -> int:
    """``python -m orchestration.transform.manifest``: prepare the manifest if needed."""
    project_dir = default_project_dir()
    if is_current(project_dir):
        print(f"dbt manifest is current: {manifest_path(project_dir)}")
        return 0
    path = ensure_manifest(project_dir, quiet=True)
    print(f"dbt manifest prepared: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
