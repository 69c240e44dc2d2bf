"""`cjm-dbt`: runs dbt as a child that never outlives the process that started it.

dagster-dbt starts dbt as a subprocess. When `cjm run` (or a Dagster run worker) is killed with
SIGKILL it cannot stop that subprocess, and an orphaned dbt would go on writing to the warehouse
while the next run starts. This wrapper is the dbt executable Dagster starts: it runs the real
dbt beside it, forwards SIGINT/SIGTERM, and kills dbt as soon as its own parent is gone (Linux
``PR_SET_PDEATHSIG`` for the wrapper, and a check of the parent every half second as a fallback
on other systems). Kept free of heavy imports so that it starts in milliseconds.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this process when its parent ends (no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def real_dbt() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parent = os.getppid()
    _die_with_parent()
    child = subprocess.Popen([real_dbt(), *args])

    def stop(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        try:
            return child.wait(timeout=POLL_SECONDS)
        except subprocess.TimeoutExpired:
            if os.getppid() != parent:  # the process that started us is gone
                child.kill()
                child.wait()
                return 1


if __name__ == "__main__":
    sys.exit(main())
