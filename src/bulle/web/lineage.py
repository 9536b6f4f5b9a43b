"""A dataset's lineage as an inline SVG graph: one box per version, an arrow from each parent.

Drawn on the server (no script, no library): versions are placed in columns by their depth (the
longest chain of parents above them) and in rows by their order, which is all a lineage needs —
an import on the left, its pseudonymized and anonymized descendants to the right. Presentation
attributes only (the page's Content-Security-Policy forbids inline styles); the graph is an image
with a text alternative, and the versions table next to it holds the same facts for a screen
reader.
"""

from __future__ import annotations

from html import escape
from typing import Any

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 170, 48, 60, 20, 10
KIND_FILL = {
    "import": "#e8eef7",
    "pseudonymize": "#e7f3ec",
    "anonymize": "#fdf1dc",
    "deidentify_text": "#f1e9f7",
}


def layout(versions: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """ref → (column, row): column = depth below the roots, row = order within the column."""
    parents = {v["ref"]: list(v.get("parents") or []) for v in versions}
    for v in versions:  # a parent of another dataset is drawn too, as a root
        for p in v.get("parents") or []:
            parents.setdefault(p, [])
    depth: dict[str, int] = {}

    def depth_of(ref: str, seen: frozenset[str] = frozenset()) -> int:
        if ref in depth:
            return depth[ref]
        if ref in seen:  # a cycle cannot happen in a catalog; drawn flat rather than looping
            return 0
        above = [depth_of(p, seen | {ref}) + 1 for p in parents.get(ref, [])]
        depth[ref] = max(above, default=0)
        return depth[ref]

    rows: dict[int, int] = {}
    place = {}
    for ref in parents:
        col = depth_of(ref)
        place[ref] = (col, rows.get(col, 0))
        rows[col] = rows.get(col, 0) + 1
    return place


def lineage_svg(
    versions: list[dict[str, Any]],
    title: str = "Lineage",
    rows_label: str = "rows",
    number: Any = "{:,}".format,
) -> str:
    """The graph; ``rows_label`` and ``number`` write row counts in the page's language."""
    place = layout(versions)
    kinds = {v["ref"]: v.get("kind", "") for v in versions}
    rows = {v["ref"]: v.get("row_count", v.get("rows")) for v in versions}
    width = PAD * 2 + (max((c for c, _ in place.values()), default=0) + 1) * (BOX_W + GAP_X) - GAP_X
    height = (
        PAD * 2 + (max((r for _, r in place.values()), default=0) + 1) * (BOX_H + GAP_Y) - GAP_Y
    )

    def xy(ref: str) -> tuple[int, int]:
        col, row = place[ref]
        return PAD + col * (BOX_W + GAP_X), PAD + row * (BOX_H + GAP_Y)

    edges, nodes = [], []
    for v in versions:
        for p in v.get("parents") or []:
            x1, y1 = xy(p)
            x2, y2 = xy(v["ref"])
            edges.append(
                f'<line x1="{x1 + BOX_W}" y1="{y1 + BOX_H // 2}" x2="{x2 - 4}" y2="{y2 + BOX_H // 2}" '
                'stroke="#44546a" stroke-width="1.5" marker-end="url(#arrow)"/>'
            )
    for ref in place:
        x, y = xy(ref)
        kind = kinds.get(ref, "")
        count = rows.get(ref)
        label = escape(ref)
        sub = escape(kind) + (f" · {number(count)} {rows_label}" if isinstance(count, int) else "")
        nodes.append(
            f'<g><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            f'fill="{KIND_FILL.get(kind, "#f4f4f4")}" stroke="#44546a"/>'
            f'<text x="{x + 10}" y="{y + 20}" font-size="14" font-weight="bold" fill="#1b1f24">{label}</text>'
            f'<text x="{x + 10}" y="{y + 38}" font-size="12" fill="#333a42">{sub}</text></g>'
        )
    described = ", ".join(
        f"{v['ref']} ({v.get('kind', '')}"
        + (f" from {', '.join(v['parents'])})" if v.get("parents") else ")")
        for v in versions
    )
    return (
        f'<svg class="lineage" role="img" aria-labelledby="lineage-title lineage-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="lineage-title">{escape(title)}</title><desc id="lineage-desc">{escape(described)}</desc>'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#44546a"/></marker></defs>'
        + "".join(edges)
        + "".join(nodes)
        + "</svg>"
    )
