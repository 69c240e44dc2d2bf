"""One writer per export format, streaming rows to the landing folder as people are simulated."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from orchestration.generate import crm
from orchestration.generate.survey import SurveyResponse, SurveySpec

# Salesforce: Data Loader writes UPPER CASE headers, the weekly Data Export CamelCase.
SALESFORCE_FILES: dict[str, tuple[tuple[str, ...], bool]] = {
    # object name -> (fields, upper-case header)
    "Account": (crm.ACCOUNT_FIELDS, False),
    "Contact": (crm.CONTACT_FIELDS, False),
    "Opportunity": (crm.OPPORTUNITY_FIELDS, True),
    "OpportunityHistory": (crm.OPPORTUNITY_HISTORY_FIELDS, True),
    "Case": (crm.CASE_FIELDS, False),
    "OpportunityContactRole": (crm.OPPORTUNITY_CONTACT_ROLE_FIELDS, False),
}


def ga4_line(row: dict[str, Any], omit_nulls: bool) -> str:
    """One BigQuery-export NDJSON line; `omit_nulls` leaves null keys out rather than null."""
    value = _without_nulls(row) if omit_nulls else row
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


class SalesforceWriter:
    """`crm/<Object>.csv`: every value double-quoted, null as `""`, LF line ends."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._handles: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        for sobject, (fields, upper) in SALESFORCE_FILES.items():
            handle = (folder / f"{sobject}.csv").open("w", encoding="utf-8", newline="")
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow([name.upper() if upper else name for name in fields])
            self._handles[sobject] = handle
            self._writers[sobject] = writer

    def write(self, sobject: str, rows: list[dict[str, str]]) -> None:
        fields = SALESFORCE_FILES[sobject][0]
        self._writers[sobject].writerows([row[name] for name in fields] for row in rows)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()


PLAIN_JSON_EVERY_N_DAYS = 15


class Ga4Writer:
    """`web/events_YYYYMMDD.json`, one file per UTC day; every other day gzipped.

    Exact duplicate lines (a re-delivered event) are appended at the end of their day's file.
    """

    def __init__(self, folder: Path, start_date: dt.date) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._folder = folder
        self._start = start_date
        self._files: dict[str, IO[str]] = {}
        self._late: dict[str, list[str]] = {}

    def path_for(self, event_date: str) -> Path:
        day = dt.datetime.strptime(event_date, "%Y%m%d").date()
        # Most days gzipped, as GA4 exports usually arrive; every 15th day plain NDJSON so both
        # variants are always present (and the bundled sample stays a few MB).
        gzipped = (day - self._start).days % PLAIN_JSON_EVERY_N_DAYS != 0
        return self._folder / f"events_{event_date}.json{'.gz' if gzipped else ''}"

    def _file(self, event_date: str) -> IO[str]:
        handle = self._files.get(event_date)
        if handle is None:
            path = self.path_for(event_date)
            if path.suffix == ".gz":
                raw = gzip.GzipFile(
                    filename="", mode="wb", fileobj=path.open("wb"), mtime=0, compresslevel=6
                )
                handle = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            else:
                handle = path.open("w", encoding="utf-8", newline="\n")
            self._files[event_date] = handle
        return handle

    def write(self, event_date: str, line: str, duplicated: bool) -> None:
        self._file(event_date).write(line + "\n")
        if duplicated:
            self._late.setdefault(event_date, []).append(line)

    def close(self) -> None:
        for event_date, handle in self._files.items():
            for line in self._late.get(event_date, []):
                handle.write(line + "\n")
            if isinstance(handle, io.TextIOWrapper) and isinstance(handle.buffer, gzip.GzipFile):
                fileobj = handle.buffer.fileobj
                handle.close()
                if fileobj is not None:
                    fileobj.close()
            else:
                handle.close()


def write_qualtrics(path: Path, spec: SurveySpec, responses: list[SurveyResponse]) -> None:
    """Qualtrics "Export Data" CSV: ids, question texts, ImportId JSON, then one row per response.

    Fields are quoted only where needed (commas, quotes, line breaks), as Qualtrics writes them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(spec.columns)
        writer.writerow(spec.labels)
        writer.writerow(spec.import_ids)
        columns = spec.columns
        writer.writerows([response.row[column] for column in columns] for response in responses)


class ExportWriters:
    """All writers of one landing folder, as a context manager."""

    def __init__(self, out_dir: Path, start_date: dt.date) -> None:
        self.out_dir = out_dir
        self.salesforce = SalesforceWriter(out_dir / "crm")
        self.ga4 = Ga4Writer(out_dir / "web", start_date)

    def __enter__(self) -> ExportWriters:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.salesforce.close()
        self.ga4.close()

    def write_surveys(self, specs: tuple[SurveySpec, ...], responses: list[SurveyResponse]) -> None:
        for spec in specs:
            rows = [response for response in responses if response.survey == spec.name]
            write_qualtrics(self.out_dir / "survey" / f"{spec.name}.csv", spec, rows)
