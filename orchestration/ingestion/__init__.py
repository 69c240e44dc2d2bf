"""Ingestion: export files in the landing folder -> raw tables, load ledger and quarantine.

Plain Python + DuckDB (no Dagster): the Dagster assets call ``ingest_raw_table`` once per raw
table. Formats are readers (``orchestration.ingestion.readers``) registered per raw table in
``RAW_TABLES``.
"""

from .ledger import ensure_ops_tables
from .loader import ingest_raw_table, record_unclaimed_files
from .readers import FormatError, Reader, ReadResult, RefusedFormat
from .report import FileResult, IngestReport, QuarantineSample
from .settings import IngestSettings
from .specs import RAW_TABLES, SourceSpec, unclaimed_files

__all__ = [
    "RAW_TABLES",
    "FileResult",
    "FormatError",
    "IngestReport",
    "IngestSettings",
    "QuarantineSample",
    "ReadResult",
    "Reader",
    "RefusedFormat",
    "SourceSpec",
    "ensure_ops_tables",
    "ingest_raw_table",
    "record_unclaimed_files",
    "unclaimed_files",
]
