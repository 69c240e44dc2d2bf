"""A Dagster logger that prints one short line per step, check and asset, for people at a terminal.

Dagster's own console logger prints every event with its run id and metadata; that is too much
for `cjm run`. This logger prints step starts and ends with their duration, check outcomes,
asset materializations and the messages the assets log themselves. The event log in the
Dagster instance (what the UI shows) is unaffected.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from pathlib import Path

import dagster as dg

_STEP_EVENTS = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "STEP_UP_FOR_RETRY"}
_QUIET_EVENTS = {
    "STEP_OUTPUT",
    "HANDLED_OUTPUT",
    "LOADED_INPUT",
    "STEP_INPUT",
    "LOGS_CAPTURED",
    "ASSET_MATERIALIZATION_PLANNED",
    "ASSET_CHECK_EVALUATION_PLANNED",
    "RESOURCE_INIT_STARTED",
    "RESOURCE_INIT_SUCCESS",
    "STEP_WORKER_STARTING",
    "STEP_WORKER_STARTED",
    "ENGINE_EVENT",
    "RUN_STARTING",
    "RUN_START",
    "RUN_ENQUEUED",
    "PIPELINE_START",
    "PIPELINE_STARTING",
    "ASSET_OBSERVATION",
}


DBT_STEP = "dbt_build"
_DBT_SUMMARY_WORDS = ("Finished running", "Done. PASS", "Completed with", "Running with dbt")


def seconds_since_process_start() -> float | None:
    """Wall time since this process started (Linux /proc), or None where that is unknown."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


def _dbt_summary(message: str) -> bool:
    return any(word in message for word in _DBT_SUMMARY_WORDS)


class ProgressHandler(logging.Handler):
    """Prints Dagster events (logged at DEBUG) and the assets' own messages (INFO and up)."""

    def __init__(self, stream=None) -> None:
        super().__init__(level=logging.DEBUG)
        self.stream = stream or sys.stdout
        self.started: dict[str, float] = {}
        self.checks: dict[bool, int] = {}

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            message = meta.get("orig_message", record.getMessage())
            if step == DBT_STEP and record.levelno < logging.WARNING and not _dbt_summary(message):
                return  # dbt's own per-node lines: the materializations below say the same
            if record.levelno >= logging.INFO and message:
                prefix = "  ! " if record.levelno >= logging.WARNING else "    "
                self._print(prefix + message.replace("\n", "\n" + " " * len(prefix)))
            return
        kind = event.event_type_value
        if kind in _QUIET_EVENTS:
            return
        if kind == "STEP_START":
            if not self.started:
                gc.enable()  # off while `cjm run` loads (cli._no_garbage_collection_while_loading)
                startup = seconds_since_process_start()
                if startup is not None:
                    times = os.times()  # CPU time: not inflated by other load on the machine
                    self._print(
                        f"start-up: {startup:.1f} s from process start to the first asset"
                        f" ({times.user + times.system:.1f} s of CPU)"
                    )
            self.started[step] = time.monotonic()
            self._print(f"▶ {step}")
        elif kind in _STEP_EVENTS:
            took = time.monotonic() - self.started.get(step, time.monotonic())
            mark = {"STEP_SUCCESS": "✔", "STEP_SKIPPED": "·"}.get(kind, "✖")
            word = {"STEP_SUCCESS": "done", "STEP_SKIPPED": "skipped"}.get(kind, "failed")
            detail = ""
            if step == DBT_STEP and self.checks:
                detail = f", dbt tests: {self.checks.get(True, 0)} passed"
                detail += f", {self.checks.get(False, 0)} failed or warned"
            self._print(f"{mark} {step} {word} ({took:.1f} s{detail})")
            if kind == "STEP_FAILURE" and event.step_failure_data is not None:
                error = event.step_failure_data.error
                while error is not None and error.cause is not None:
                    error = error.cause  # Dagster wraps the error of the asset: show that one
                if error is not None:
                    self._print("    " + error.message.strip().replace("\n", "\n    "))
        elif kind == "ASSET_MATERIALIZATION":
            self._print(f"    built {event.asset_key.to_user_string()}")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            self.checks[evaluation.passed] = self.checks.get(evaluation.passed, 0) + 1
            if not evaluation.passed or step != DBT_STEP:
                mark = "passed"
                if not evaluation.passed:
                    error = evaluation.severity == dg.AssetCheckSeverity.ERROR
                    mark = "FAILED" if error else "warning"
                self._print(
                    f"    check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                    f" {mark}"
                )
        elif kind in {"RUN_SUCCESS", "PIPELINE_SUCCESS"}:
            self._print("run succeeded")
        elif kind in {"RUN_FAILURE", "PIPELINE_FAILURE"}:
            self._print("run failed")


@dg.logger(description="One short line per step, check and asset, for `cjm run`.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("cjm.progress")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.handlers = [ProgressHandler()]
    return logger
