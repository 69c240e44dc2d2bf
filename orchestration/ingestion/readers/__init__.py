"""Export format readers. Adding a format = one reader class + its tests + one line in specs."""

from .base import (
    BatchReader,
    FormatError,
    ReadContext,
    Reader,
    ReadResult,
    RefusedFormat,
    TempScope,
)
from .follow_ups import FollowUpOutcomesCsvReader
from .ga4 import Ga4NdjsonReader, Ga4ParquetReader
from .hubspot import HubSpotCsvReader
from .qualtrics import (
    QualtricsCsvReader,
    QualtricsInsights2016CsvReader,
    QualtricsLegacyCsvReader,
)
from .salesforce import SalesforceCsvReader
from .snowplow import SnowplowTsvReader
from .surveymonkey import SurveyMonkeyCsvReader

__all__ = [
    "BatchReader",
    "FollowUpOutcomesCsvReader",
    "FormatError",
    "Ga4NdjsonReader",
    "Ga4ParquetReader",
    "HubSpotCsvReader",
    "QualtricsCsvReader",
    "QualtricsInsights2016CsvReader",
    "QualtricsLegacyCsvReader",
    "ReadContext",
    "ReadResult",
    "Reader",
    "RefusedFormat",
    "SalesforceCsvReader",
    "SnowplowTsvReader",
    "SurveyMonkeyCsvReader",
    "TempScope",
]
