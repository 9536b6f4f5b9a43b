"""A self-contained HTML page for a risk report: figures, plots, and what a release changed.

The page is read by people deciding whether a table may leave the vault, often offline and on
machines that block outside resources, so it carries everything inline: one ``<style>``, plots
drawn here as SVG, no script, no font or stylesheet from elsewhere. Every value that comes from
data or parameters goes through :func:`html.escape` (column names and hierarchy labels are user
input).

``release_info`` (optional) describes a release so the page can say what was generalized and
suppressed. Its shape (every key optional)::

    {
      "transformation": {"age": 2, "sex": 0},      # quasi-identifier -> level, in header order
      "heights": {"age": 4, "sex": 1},             # quasi-identifier -> hierarchy height
      "examples": {"age": [["39", "[35, 40["]]},   # original -> released value pairs
      "hierarchies": {"age": [["39", "[35, 40[", "*"]]},  # rows; examples derived when absent
      "suppressed_records": 12,
      "records": 30162,                            # records before suppression
      "privacy_models": ["5-anonymity"],
      "metric": "loss",
      "information_loss": 0.1234,                  # a number, or a list (rank aggregate)
      "anonymous": true
    }
"""

from __future__ import annotations

import html
import math
from dataclasses import asdict, is_dataclass
from typing import Any

from bulle.errors import InputError, Where

RELEASE_KEYS = {
    "transformation",
    "heights",
    "examples",
    "hierarchies",
    "suppressed_records",
    "records",
    "privacy_models",
    "metric",
    "information_loss",
    "anonymous",
}
MAX_EXAMPLES = 3

ACCENT = "#2f5d8a"
RISKY = "#c0392b"
SAFE = "#4f8a6e"
MIXED = "#d68a3a"


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def pct(x: float | None, digits: int = 1) -> str:
    """A share as a percentage, without a trailing '.0' (100 %, 12.5 %, 0.03 %)."""
    if x is None:
        return "–"
    v = 100 * x
    if v != 0 and abs(v) < 10**-digits:
        return f"{v:.2g} %"
    if abs(v - round(v)) < 1e-9:
        return f"{round(v)} %"
    return f"{v:.{digits}f} %"


def num(x: float | int | None) -> str:
    if x is None:
        return "–"
    if isinstance(x, int):
        return f"{x:,}".replace(",", "\u202f")
    if x == 0:
        return "0"
    return f"{x:.4g}"


# ------------------------------------------------------------------------------------------
# release info
# ------------------------------------------------------------------------------------------


def check_release_info(info: dict[str, Any] | None) -> dict[str, Any]:
    """Check the shape given by the anonymization core; a wrong shape is a caller's error."""
    if info is None:
        return {}
    if not isinstance(info, dict):
        raise InputError("release info must be an object", Where(field="release_info"))
    unknown = sorted(set(info) - RELEASE_KEYS)
    if unknown:
        raise InputError(
            f"unknown release info key(s): {', '.join(unknown)}", Where(field="release_info")
        )
    for key in ("transformation", "heights"):
        val = info.get(key, {})
        if not isinstance(val, dict) or not all(isinstance(v, int) for v in val.values()):
            raise InputError(
                f"release info '{key}' must map column names to integers", Where(field=key)
            )
    for key in ("examples", "hierarchies"):
        val = info.get(key, {})
        if not isinstance(val, dict) or not all(isinstance(v, list) for v in val.values()):
            raise InputError(
                f"release info '{key}' must map column names to lists", Where(field=key)
            )
    for key in ("suppressed_records", "records"):
        if key in info and not isinstance(info[key], int):
            raise InputError(f"release info '{key}' must be an integer", Where(field=key))
    if "privacy_models" in info and not isinstance(info["privacy_models"], list):
        raise InputError(
            "release info 'privacy_models' must be a list", Where(field="privacy_models")
        )
    return info


def _examples(info: dict[str, Any], column: str, level: int) -> list[tuple[str, str]]:
    given = info.get("examples", {}).get(column)
    if given:
        return [(str(a), str(b)) for a, b in given[:MAX_EXAMPLES]]
    rows = info.get("hierarchies", {}).get(column)
    if not rows or level <= 0:
        return []
    # pick examples spread over the hierarchy, showing distinct generalized values if possible
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    step = max(1, len(rows) // (MAX_EXAMPLES * 4))
    for row in rows[::step]:
        if level < len(row) and row[level] not in seen:
            seen.add(row[level])
            out.append((str(row[0]), str(row[level])))
        if len(out) == MAX_EXAMPLES:
            break
    return out


# ------------------------------------------------------------------------------------------
# SVG plots
# ------------------------------------------------------------------------------------------


def _nice_step(x: float, ticks: int = 4) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) covering x in about `ticks` steps."""
    if x <= 0:
        return 0.25
    raw = x / ticks
    exp = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= raw - 1e-15:
            return m * exp
    return 10 * exp


def bar_chart(
    labels: list[str],
    values: list[float],
    colors: list[str],
    *,
    title: str,
    y_label: str,
    x_label: str,
    annotations: list[str] | None = None,
    width: int = 720,
    height: int = 300,
) -> str:
    """A vertical bar chart as inline SVG; values are shares (0..1) shown as percentages."""
    left, right, top, bottom = 56, 16, 28, 84
    plot_w, plot_h = width - left - right, height - top - bottom
    step = _nice_step(max(values, default=0.0))
    n_ticks = max(1, math.ceil(max(values, default=0.0) / step - 1e-9))
    vmax = step * n_ticks
    n = max(len(values), 1)
    slot = plot_w / n
    bar_w = max(4.0, slot * 0.7)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{e(title)}">',
        f"<title>{e(title)}</title>",
    ]
    for i in range(n_ticks + 1):
        v = step * i
        y = top + plot_h - plot_h * i / n_ticks
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e3e7ec" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'class="tick">{e(pct(v))}</text>'
        )
    for i, (lab, v, col) in enumerate(zip(labels, values, colors, strict=True)):
        h = plot_h * (v / vmax) if vmax else 0
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h - h
        tip = f"{lab}: {pct(v)}" + (f" ({annotations[i]})" if annotations else "")
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(h, 0):.1f}" '
            f'fill="{col}" rx="2"><title>{e(tip)}</title></rect>'
        )
        if v > 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'class="val">{e(pct(v))}</text>'
            )
        cx = left + slot * i + slot / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="end" '
            f'transform="rotate(-35 {cx:.1f} {top + plot_h + 16})" class="tick">'
            f"{e(lab)}</text>"
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}" stroke="#9aa4b1"/>'
    )
    parts.append(
        f'<text x="14" y="{top + plot_h / 2:.1f}" transform="rotate(-90 14 '
        f'{top + plot_h / 2:.1f})" text-anchor="middle" class="axis">{e(y_label)}</text>'
    )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        f'class="axis">{e(x_label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def level_bar(level: int, height: int) -> str:
    w = 120
    filled = 0 if height <= 0 else w * level / height
    return (
        f'<svg class="lvl" viewBox="0 0 {w} 10" width="{w}" height="10" '
        f'xmlns="http://www.w3.org/2000/svg" aria-hidden="true">'
        f'<rect width="{w}" height="10" rx="5" fill="#e3e7ec"/>'
        f'<rect width="{filled:.1f}" height="10" rx="5" fill="{ACCENT}"/></svg>'
    )


def class_size_chart(report: dict[str, Any]) -> str:
    n = report["analysed_records"] or 1
    limit = 1.0 / report["threshold"]
    labels, values, colors, notes = [], [], [], []
    for b in report["class_size_histogram"]:
        lo, hi = b["size_min"], b["size_max"]
        labels.append(str(lo) if lo == hi else (f"{lo}–{hi}" if hi is not None else f"≥ {lo}"))
        values.append(b["records"] / n)
        top = hi if hi is not None else math.inf
        colors.append(RISKY if top < limit else (SAFE if lo >= limit else MIXED))
        notes.append(f"{b['classes']} classes, {b['records']} records")
    return bar_chart(
        labels,
        values,
        colors,
        title="Records by size of their equivalence class",
        y_label="share of records",
        x_label="class size (records)",
        annotations=notes,
    )


def risk_chart(report: dict[str, Any]) -> str:
    """Records per prosecutor-risk band; ARX's bands below 1 % are merged into one bar."""
    bands = report["risk_distribution"]
    merged_records = sum(b["records"] for b in bands if b["high"] <= 0.01)
    n = report["analysed_records"] or 1
    labels, values, colors, notes = (
        ["≤ 1 %"],
        [merged_records / n],
        [SAFE],
        [f"{merged_records} records"],
    )
    for b in bands:
        if b["high"] <= 0.01:
            continue
        labels.append(f"{_band_pct(b['low'])}–{_band_pct(b['high'])}")
        values.append(b["share"])
        t = report["threshold"]
        colors.append(RISKY if b["low"] >= t else (SAFE if b["high"] <= t else MIXED))
        notes.append(f"{b['records']} records")
    return bar_chart(
        labels,
        values,
        colors,
        title="Records by re-identification risk (prosecutor)",
        y_label="share of records",
        x_label="risk of re-identification (%)",
        annotations=notes,
    )


def _band_pct(x: float) -> str:
    v = 100 * x
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------------------------------
# page
# ------------------------------------------------------------------------------------------

CSS = (
    ":root{--fg:#1d2733;--muted:#5f6b7a;--line:#e3e7ec;--bg:#f6f8fa;--card:#fff;"
    f"--accent:{ACCENT};--risk:{RISKY};--safe:{SAFE}}}"
    + """
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 20px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.card .k{color:var(--muted);font-size:13px}
.card .v{font-size:26px;font-weight:600;margin-top:2px}
.card .d{color:var(--muted);font-size:12.5px;margin-top:2px}
.card.bad .v{color:var(--risk)} .card.good .v{color:var(--safe)}
.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin-top:12px}
.chart{width:100%;height:auto;display:block}
.chart .tick{font-size:11px;fill:#5f6b7a} .chart .val{font-size:10.5px;fill:#1d2733}
.chart .axis{font-size:12px;fill:#5f6b7a}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:12.5px;text-transform:uppercase;letter-spacing:.03em}
td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f5;padding:1px 5px;border-radius:4px}
.notes{margin:12px 0 0;padding-left:20px;color:var(--muted)}
.legend{color:var(--muted);font-size:13px;margin:6px 0 0}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px;vertical-align:-1px}
.map{color:var(--muted)} .map b{color:var(--fg);font-weight:500}
footer{color:var(--muted);font-size:12.5px;margin-top:36px}
"""
)


def _card(key: str, value: str, detail: str = "", tone: str = "") -> str:
    return (
        f'<div class="card {tone}"><div class="k">{e(key)}</div><div class="v">{e(value)}</div>'
        + (f'<div class="d">{e(detail)}</div>' if detail else "")
        + "</div>"
    )


def _tone(risk: float, threshold: float) -> str:
    return "bad" if risk > threshold else "good"


def render_html(
    report: Any,
    release_info: dict[str, Any] | None = None,
    *,
    title: str = "Re-identification risk",
    source: str | None = None,
) -> str:
    """The whole page as a string (the caller writes it atomically)."""
    r = asdict(report) if is_dataclass(report) else dict(report)
    info = check_release_info(release_info)
    t = r["threshold"]
    pros, jour = r["prosecutor"], r["journalist"]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{e(title)}</h1>",
    ]
    sub = [
        f"{num(r['records'])} records",
        f"{len(r['quasi_identifiers'])} quasi-identifiers: " + ", ".join(r["quasi_identifiers"]),
        f"threshold {num(t)} (classes under {num(_min_safe_size(t))} records are at risk)",
    ]
    if source:
        sub.insert(0, source)
    out.append(f'<p class="sub">{" · ".join(e(s) for s in sub)}</p>')

    out.append('<h2>Summary</h2><div class="cards">')
    out.append(
        _card(
            "Highest risk (prosecutor)",
            pct(pros["max_risk"]),
            f"smallest class: {num(r['min_class_size'])} record(s)",
            _tone(pros["max_risk"], t),
        )
    )
    out.append(
        _card(
            "Average risk (prosecutor)",
            pct(pros["average_risk"]),
            f"{num(r['equivalence_classes'])} classes / {num(r['analysed_records'])} records",
        )
    )
    out.append(
        _card(
            "Records at risk",
            pct(pros["share_at_risk"]),
            f"{num(pros['records_at_risk'])} records with risk above {pct(t)}",
            "bad" if pros["records_at_risk"] else "good",
        )
    )
    out.append(
        _card(
            "Sample uniqueness",
            pct(r["sample_uniqueness"]),
            f"{num(r['unique_records'])} records alone in their class",
            "bad" if r["unique_records"] else "good",
        )
    )
    jdetail = (
        f"population of {num(r['population_records'])} records"
        if r["journalist_uses_population"]
        else "no population table: equals prosecutor"
    )
    out.append(
        _card(
            "Journalist risk (highest)", pct(jour["max_risk"]), jdetail, _tone(jour["max_risk"], t)
        )
    )
    out.append(
        _card(
            "Journalist risk (average)",
            pct(jour["average_risk"]),
            f"{pct(jour['share_at_risk'])} of records above threshold",
        )
    )
    out.append(
        _card(
            "Marketer risk",
            pct(r["marketer_average_risk"]),
            "share of records re-identifiable on average",
        )
    )
    out.append(
        _card(
            "Suppressed records",
            num(r["suppressed_records"]),
            f"{pct(r['suppressed_share'])} of the table, in no class",
        )
    )
    if r.get("population_uniqueness") is not None:
        out.append(
            _card(
                "Population uniqueness",
                pct(r["population_uniqueness"]),
                f"{num(r['population_unique_records'])} records unique in the population",
            )
        )
    out.append("</div>")

    s = r.get("subjects")
    if s:
        out.append(f'<h2>Subjects (<code>{e(s["column"])}</code>)</h2><div class="cards">')
        out.append(
            _card(
                "Subjects",
                num(s["subjects"]),
                f"{num(s['subjects_with_several_rows'])} with several rows "
                f"(up to {num(s['max_rows_per_subject'])})",
            )
        )
        out.append(
            _card(
                "Highest risk per subject",
                pct(s["max_risk"]),
                f"fewest subjects in a class: {num(s['min_subjects_per_class'])}",
                _tone(s["max_risk"], t),
            )
        )
        out.append(
            _card(
                "Subjects at risk",
                pct(s["share_at_risk"]),
                f"{num(s['subjects_at_risk'])} subjects in a class of under "
                f"{num(_min_safe_size(t))} subjects",
                "bad" if s["subjects_at_risk"] else "good",
            )
        )
        out.append(
            _card(
                "Unique subjects",
                pct(s["share_unique"]),
                f"{num(s['unique_subjects'])} alone in at least one class",
            )
        )
        out.append(
            _card(
                "Average risk per subject",
                pct(s["average_risk"]),
                f"{num(s['subjects_in_risky_classes'])} subjects have a row in a class "
                f"of under {num(_min_safe_size(t))} rows",
            )
        )
        out.append(
            _card(
                "Suppressed subjects",
                num(s["suppressed_subjects"]),
                f"{num(s['partly_suppressed_subjects'])} more partly suppressed",
            )
        )
        out.append("</div>")
    if r.get("notes"):
        out.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in r["notes"]) + "</ul>")

    out.append('<h2>Class sizes</h2><div class="panel">')
    chart = class_size_chart(r) if r["class_size_histogram"] else "<p>No class.</p>"
    out.append(chart)
    out.append(_legend(t, MIXED in chart))
    out.append(_size_table(r))
    out.append("</div>")

    out.append('<h2>Risk distribution</h2><div class="panel">')
    chart = risk_chart(r)
    out.append(chart)
    out.append(_legend(t, MIXED in chart))
    out.append("</div>")

    if info:
        out.append(_release_section(info, r))
    out.append(
        "<footer>Risk models as in ARX: prosecutor risk of a record = 1 / size of its "
        "class; journalist uses class sizes in the population; marketer = expected share "
        "of records re-identified. Generated by Bulle.</footer>"
    )
    out.append("</main></body></html>")
    return "\n".join(out)


def _min_safe_size(t: float) -> int:
    """Smallest class size whose risk 1/size is not above the threshold."""
    return math.ceil(1.0 / t - 1e-12)


def _legend(t: float, mixed: bool) -> str:
    extra = f'<span class="sw" style="background:{MIXED}"></span>both' if mixed else ""
    return (
        f'<p class="legend"><span class="sw" style="background:{RISKY}"></span>risk above '
        f'{e(pct(t))}<span class="sw" style="background:{SAFE}"></span>at or below{extra}</p>'
    )


def _size_table(r: dict[str, Any]) -> str:
    rows = []
    for b in r["class_size_histogram"]:
        lo, hi = b["size_min"], b["size_max"]
        lab = str(lo) if lo == hi else (f"{lo}–{hi}" if hi is not None else f"≥ {lo}")
        rows.append(
            f'<tr><td>{e(lab)}</td><td class="n">{e(num(b["classes"]))}</td>'
            f'<td class="n">{e(num(b["records"]))}</td>'
            f'<td class="n">{e(pct(b["records"] / (r["analysed_records"] or 1)))}</td></tr>'
        )
    return (
        "<table><thead><tr><th>class size</th><th>classes</th><th>records</th>"
        "<th>share</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _release_section(info: dict[str, Any], r: dict[str, Any]) -> str:
    out = ['<h2>What the release changed</h2><div class="cards">']
    if "anonymous" in info:
        out.append(
            _card(
                "Anonymous",
                "yes" if info["anonymous"] else "no",
                "under the declared privacy models",
                "good" if info["anonymous"] else "bad",
            )
        )
    if "suppressed_records" in info:
        total = info.get("records") or r["records"] or 1
        out.append(
            _card(
                "Suppressed",
                num(info["suppressed_records"]),
                f"{pct(info['suppressed_records'] / total)} of {num(total)} records",
            )
        )
    if "metric" in info or "information_loss" in info:
        loss = info.get("information_loss")
        shown = ", ".join(num(x) for x in loss) if isinstance(loss, list) else num(loss)
        out.append(_card(f"Information loss ({info.get('metric', '?')})", shown))
    out.append("</div>")
    if info.get("privacy_models"):
        out.append(
            '<p class="legend">Privacy models: '
            + ", ".join(f"<code>{e(m)}</code>" for m in info["privacy_models"])
            + "</p>"
        )
    transformation = info.get("transformation", {})
    if transformation:
        heights = info.get("heights", {})
        rows = []
        for col, level in transformation.items():
            height = heights.get(col)
            ex = _examples(info, col, level)
            shown = "; ".join(f"{e(a)} → <b>{e(b)}</b>" for a, b in ex) or "–"
            lvl = f"{level} / {height}" if height is not None else str(level)
            bar = level_bar(level, height) if height else ""
            what = (
                "kept as is"
                if level == 0
                else "fully generalized"
                if height is not None and level >= height
                else "generalized"
            )
            rows.append(
                f'<tr><td><code>{e(col)}</code></td><td class="n">{e(lvl)}</td>'
                f'<td>{bar}</td><td>{e(what)}</td><td class="map">{shown}</td></tr>'
            )
        out.append(
            '<div class="panel"><table><thead><tr><th>quasi-identifier</th><th>level</th>'
            "<th></th><th></th><th>examples</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table></div>"
        )
    return "".join(out)
