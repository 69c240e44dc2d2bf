"""Export format readers. Adding a format = one reader class + its tests + one line in specs."""

from .base import FormatError, ReadContext, Reader, ReadResult, RefusedFormat, TempScope
from .ga4 import Ga4NdjsonReader
from .qualtrics import (
    QUALTRICS_INSIGHTS_2016,
    QUALTRICS_LEGACY_V1V10,
    SURVEYMONKEY_CSV,
    QualtricsCsvReader,
)
from .salesforce import SalesforceCsvReader

__all__ = [
    "QUALTRICS_INSIGHTS_2016",
    "QUALTRICS_LEGACY_V1V10",
    "SURVEYMONKEY_CSV",
    "FormatError",
    "Ga4NdjsonReader",
    "QualtricsCsvReader",
    "ReadContext",
    "ReadResult",
    "Reader",
    "RefusedFormat",
    "SalesforceCsvReader",
    "TempScope",
]
