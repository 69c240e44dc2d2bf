"""What starts the main job besides `cjm run`: a daily schedule and a landing-folder sensor.

Both are off by default (turn them on in the UI under Automation, or with `dagster schedule
start` / `dagster sensor start`); use one of them, not both.

The schedule runs the job once a day at ``CJM_SCHEDULE_CRON`` (default ``0 6 * * *``) in
``CJM_SCHEDULE_TIMEZONE`` (default ``UTC``).

The sensor starts the main job when export files arrive in (or change in) the landing folder.

It only looks at file names, sizes and modification times (cheap, no reading); the ingestion
assets then decide per file by content hash what is really new, so a touched but unchanged file
costs one run that loads nothing. Off by default: turn it on in the UI (Automation) when the
landing folder is fed by a scheduled export.
"""

import hashlib
import os
from pathlib import Path

import dagster as dg

from orchestration.ingestion.specs import landing_files
from orchestration.resources import WarehouseResource


def landing_fingerprint(landing: Path) -> tuple[str, int]:
    """A digest of (path, size, mtime) of every file in the landing folder, and their count.

    Every file counts, not only those a raw table takes: a misplaced export must reach the
    ledger (as unrecognised) too. A link that points nowhere counts by its own times.
    """
    digest = hashlib.sha256()
    count = 0
    for path in landing_files(landing):
        stat = path.lstat()
        digest.update(f"{path.relative_to(landing)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        count += 1
    return digest.hexdigest(), count


def build_landing_sensor(job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_folder_sensor",
        job_name=job_name,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Runs the main job when export files in the landing folder are added or "
        "changed (by name, size and modification time).",
    )
    def landing_folder_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        fingerprint, files = landing_fingerprint(Path(warehouse.landing_dir))
        if files == 0:
            return dg.SkipReason(f"no export files in {warehouse.landing_dir}")
        if fingerprint == context.cursor:
            return dg.SkipReason(f"{files} export files, none added or changed")
        context.update_cursor(fingerprint)
        return dg.RunRequest(run_key=fingerprint, tags={"cjm/landing_files": str(files)})

    return landing_folder_sensor


DEFAULT_CRON = "0 6 * * *"


def build_daily_schedule(job_name: str) -> dg.ScheduleDefinition:
    cron = os.environ.get("CJM_SCHEDULE_CRON", "").strip() or DEFAULT_CRON
    timezone = os.environ.get("CJM_SCHEDULE_TIMEZONE", "").strip() or "UTC"
    return dg.ScheduleDefinition(
        name="daily_journey_warehouse",
        job_name=job_name,
        cron_schedule=cron,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=(
            f"Runs the main job at '{cron}' ({timezone}; CJM_SCHEDULE_CRON,"
            " CJM_SCHEDULE_TIMEZONE). Off until turned on. Ingestion skips files already"
            " loaded, so a day without new exports publishes the same marts again."
        ),
    )
