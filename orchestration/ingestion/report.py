"""What one ingestion call did, per file and in total, for logs and Dagster metadata."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_SAMPLES = 5

# Statuses of a file. Ledger statuses:
# - loaded: its rows are in raw (rows read = loaded + quarantined)
# - superseded: a later copy of the same path replaced it
# - failed: it could not be read (refused format, broken header, unreadable file); nothing loaded
# - held: a re-delivery that would remove too many of the earlier copy's rows; not applied until
#   `cjm accept` (rows read = rows held)
# - unrecognised: no reader or landing-folder rule knows the file; nothing loaded
# - retired: the file was removed from the landing folder while it was failed, held, unrecognised
#   or blocking a quality check; its quarantine rows are retired and it blocks nothing any more
# 'skipped_duplicate' and 'ignored' are report-only: nothing changed, nothing is written.
LOADED = "loaded"
SKIPPED_DUPLICATE = "skipped_duplicate"
SUPERSEDED = "superseded"
FAILED = "failed"
HELD = "held"
UNRECOGNISED = "unrecognised"
RETIRED = "retired"
IGNORED = "ignored"
# Statuses that mean "this delivery was not applied and someone has to act".
NEEDS_ACTION = (FAILED, HELD, UNRECOGNISED)


@dataclass(frozen=True)
class QuarantineSample:
    """One quarantined row: where it is and why it was not loaded."""

    source_row: int | None
    column_name: str | None
    reason: str


@dataclass
class FileResult:
    """The outcome for one file of the landing folder."""

    source_file: str
    status: str
    source_format: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    load_id: str | None = None
    file_sha256: str | None = None
    quarantine_samples: list[QuarantineSample] = field(default_factory=list)
    rows_held: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """Everything one ``ingest_raw_table`` call did for one raw table."""

    raw_table: str
    files: list[FileResult] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def files_loaded(self) -> int:
        return self._count(LOADED)

    @property
    def files_skipped(self) -> int:
        return self._count(SKIPPED_DUPLICATE)

    @property
    def files_failed(self) -> int:
        return self._count(FAILED)

    @property
    def files_ignored(self) -> int:
        return self._count(IGNORED)

    @property
    def files_held(self) -> int:
        return self._count(HELD)

    @property
    def files_unrecognised(self) -> int:
        return self._count(UNRECOGNISED)

    @property
    def files_retired(self) -> int:
        return self._count(RETIRED)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rows_held(self) -> int:
        return sum(f.rows_held for f in self.files)

    @property
    def ok(self) -> bool:
        """True when every file was applied (quarantined rows do not count as failure)."""
        return not any(f.status in NEEDS_ACTION for f in self.files)

    def summary(self) -> str:
        """One line for a log: files by status and rows read / loaded / quarantined / held."""
        parts = [f"{self.files_loaded} loaded", f"{self.files_skipped} unchanged"]
        for status, count in (
            (FAILED, self.files_failed),
            (HELD, self.files_held),
            (UNRECOGNISED, self.files_unrecognised),
            (RETIRED, self.files_retired),
            (IGNORED, self.files_ignored),
        ):
            if count:
                parts.append(f"{count} {status}")
        held = f", held {self.rows_held}" if self.rows_held else ""
        return (
            f"raw.{self.raw_table}: {len(self.files)} file(s) ({', '.join(parts)}); "
            f"rows read {self.rows_read}, loaded {self.rows_loaded}, "
            f"quarantined {self.rows_quarantined}{held}"
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data (for Dagster metadata or JSON logs)."""
        return {
            "raw_table": self.raw_table,
            "files_loaded": self.files_loaded,
            "files_skipped": self.files_skipped,
            "files_failed": self.files_failed,
            "files_ignored": self.files_ignored,
            "files_held": self.files_held,
            "files_unrecognised": self.files_unrecognised,
            "files_retired": self.files_retired,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "rows_held": self.rows_held,
            "files": [asdict(f) for f in self.files],
        }
