"""The flow from export file to mart as a picture, drawn from the Dagster definitions.

``python -m orchestration.diagram`` (``make diagram``) writes ``docs/flow.dot`` (Graphviz
text, readable as it is) and renders ``docs/flow.svg`` and ``docs/flow.png`` with Graphviz's
``dot`` (Debian package ``graphviz``; without it only the .dot file is written). Nodes are the
landing folders, the raw tables, and one node per later layer listing its assets; edges are the
dependencies between them, counted. Regenerate after adding assets or models.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import dagster as dg

DOCS = Path(__file__).resolve().parents[1] / "docs"
# Layers drawn as one node each (asset group -> title), in the order of the flow.
LAYERS = {
    "enrich": "Comment scores (Python: language, sentiment, themes)",
    "journey_map": "dbt seeds: the journey map and settings analysts edit",
    "staging": "dbt staging (views): typed, cleaned, one per raw table",
    "intermediate": "dbt intermediate (tables): identity, rule mapping, sessions",
    "marts": "dbt marts (tables, enforced contracts): what BI tools read",
    "publish": "After every check passed",
}
ROW_GROUPS = ("landing", "ingestion")  # drawn asset by asset


def _node_id(group: str, key: dg.AssetKey) -> str:
    return group if group in LAYERS else "_".join(key.path)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _layer_label(title: str, names: list[str]) -> str:
    rows = "".join(f'<TR><TD ALIGN="LEFT">{_escape(n)}</TD></TR>' for n in sorted(names))
    return (
        f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0"><TR><TD><B>{_escape(title)}</B>'
        f"</TD></TR>{rows}</TABLE>>"
    )


def flow_dot(definitions: dg.Definitions) -> str:
    graph = definitions.resolve_asset_graph()
    members: dict[str, list[str]] = defaultdict(list)
    node_of: dict[dg.AssetKey, str] = {}
    lines = [
        "digraph flow {",
        '  rankdir=LR; nodesep=0.25; ranksep=0.6; fontname="Helvetica";',
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f7fa", fontname="Helvetica",'
        " fontsize=10];",
        '  edge [color="#7a869a", fontname="Helvetica", fontsize=9];',
    ]
    checks: dict[dg.AssetKey, set[str]] = defaultdict(set)
    for check in graph.asset_check_keys:  # gx_<table>, deliveries_<table>, fresh_<table>
        checks[check.asset_key].add(check.name.split("_")[0])
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        group = graph.get(key).group_name
        node_of[key] = _node_id(group, key)
        if group in LAYERS:
            members[group].append(key.path[-1])
        elif group == "landing":
            lines.append(
                f'  {node_of[key]} [label="{key.to_user_string()}/", fillcolor="#fff4e5"];'
            )
        else:
            suffix = f"\\nchecks: {', '.join(sorted(checks[key]))}" if checks.get(key) else ""
            lines.append(
                f'  {node_of[key]} [label="{key.to_user_string()}{suffix}", fillcolor="#e8f1fb"];'
            )
    for group, title in LAYERS.items():
        if members[group]:
            lines.append(f"  {group} [label={_layer_label(title, members[group])}];")
    edges: Counter[tuple[str, str]] = Counter()
    for key in graph.get_all_asset_keys():
        for parent in graph.get(key).parent_keys:
            if parent in node_of and node_of[parent] != node_of[key]:
                edges[(node_of[parent], node_of[key])] += 1
    for (source, target), count in sorted(edges.items()):
        label = f' [label="{count}"]' if count > 1 else ""
        lines.append(f"  {source} -> {target}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    from orchestration.definitions import defs

    DOCS.mkdir(exist_ok=True)
    dot_file = DOCS / "flow.dot"
    dot_file.write_text(flow_dot(defs), encoding="utf-8")
    print(f"wrote {dot_file}")
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz `dot` not found (apt-get install graphviz): no SVG/PNG", file=sys.stderr)
        return 1
    for fmt in ("svg", "png"):
        target = DOCS / f"flow.{fmt}"
        extra = ["-Gdpi=110"] if fmt == "png" else []
        subprocess.run([dot, f"-T{fmt}", *extra, "-o", str(target), str(dot_file)], check=True)
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
