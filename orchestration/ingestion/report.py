"""What one ingestion call did, per file and in total, for logs and Dagster metadata."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_SAMPLES = 5

# Statuses of a file in a report. 'loaded', 'superseded' and 'failed' are also ledger statuses;
# 'skipped_duplicate' and 'ignored' are never written to the ledger (nothing changed).
LOADED = "loaded"
SKIPPED_DUPLICATE = "skipped_duplicate"
SUPERSEDED = "superseded"
FAILED = "failed"
IGNORED = "ignored"


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
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def ok(self) -> bool:
        """True when no file failed (quarantined rows do not count as failure)."""
        return self.files_failed == 0

    def summary(self) -> str:
        """One line for a log: files by status and rows read / loaded / quarantined."""
        parts = [f"{self.files_loaded} loaded", f"{self.files_skipped} unchanged"]
        if self.files_failed:
            parts.append(f"{self.files_failed} failed")
        if self.files_ignored:
            parts.append(f"{self.files_ignored} ignored")
        return (
            f"raw.{self.raw_table}: {len(self.files)} file(s) ({', '.join(parts)}); "
            f"rows read {self.rows_read}, loaded {self.rows_loaded}, "
            f"quarantined {self.rows_quarantined}"
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data (for Dagster metadata or JSON logs)."""
        return {
            "raw_table": self.raw_table,
            "files_loaded": self.files_loaded,
            "files_skipped": self.files_skipped,
            "files_failed": self.files_failed,
            "files_ignored": self.files_ignored,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "files": [asdict(f) for f in self.files],
        }
