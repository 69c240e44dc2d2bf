"""The Dagster asset ``bi/journey_report``: the journey map page, after every publication."""

from pathlib import Path

import dagster as dg

from orchestration.owners import CX_ANALYTICS
from orchestration.resources import WarehouseResource

PUBLISHED_MARTS = dg.AssetKey(["bi", "published_marts"])


@dg.asset(
    key=dg.AssetKey(["bi", "journey_report"]),
    deps=[PUBLISHED_MARTS],
    group_name="publish",
    kinds={"html"},
    owners=[CX_ANALYTICS],
    description=(
        "The journey map page (journey_map.html): per journey, phases as columns and touchpoints "
        "as cards with NPS, CSAT, trend, targets and owners, the phase funnel and the latest "
        "detractor comments, with a date and persona picker. One self-contained file built from "
        "the published marts; it opens from disk with no network. `cjm report` writes it on "
        "demand."
    ),
)
def journey_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    from orchestration.report.builder import write_report  # Altair only when a run gets here

    result = write_report(Path(warehouse.published_path), warehouse.report_path())
    context.log.info(
        f"wrote the journey map page {result.path} ({result.size_bytes / 1e6:.1f} MB,"
        f" {result.seconds:.2f} s)"
    )
    missing = "; ".join(f"{s}: {', '.join(m)}" for s, m in result.missing_sections.items())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "url": dg.MetadataValue.url(result.path.as_uri()),
            "size_bytes": result.size_bytes,
            "build_seconds": round(result.seconds, 3),
            "touchpoints": result.touchpoints,
            "sections_without_marts": missing or "none",
        }
    )
