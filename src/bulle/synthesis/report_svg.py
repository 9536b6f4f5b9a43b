"""Inline SVG drawings of the synthetic data report: marginals, heat maps, risks with intervals.

Drawn by hand rather than with a plotting library so that the page stays text (diffable, small,
no embedded images) and so that every label passes through one escaping function: column names
and category values come from the data, and the threat model includes hostile ones
(``<script>`` as a column name, quotes in a category).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

REAL = "#2f5d8a"
SYNTHETIC = "#d68a3a"
RISKY = "#c0392b"
MAX_LABEL = 28  # characters of a label drawn in a chart (the full text is in its tooltip)


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def short(label: object) -> str:
    text = str(label)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{e(title)}"><title>{e(title)}</title>'
    ]


def marginal_chart(
    title: str, labels: Sequence[str], real: Sequence[float], synthetic: Sequence[float]
) -> str:
    """Side-by-side bars of the share of each category (or bin) in the real and synthetic data."""
    n = max(1, len(labels))
    left, top, bottom, slot = 40, 24, 92, 34
    width, height = left + slot * n + 16, 250
    plot_h = height - top - bottom
    vmax = max([*real, *synthetic, 1e-9])
    parts = _open(width, height, title)
    parts.append(f'<text x="{left}" y="16" class="axis">{e(short(title))}</text>')
    for i, lab in enumerate(labels):
        x0 = left + slot * i + 3
        for k, (v, colour, who) in enumerate(
            ((real[i], REAL, "real"), (synthetic[i], SYNTHETIC, "synthetic"))
        ):
            h = plot_h * v / vmax
            parts.append(
                f'<rect x="{x0 + 14 * k}" y="{top + plot_h - h:.1f}" width="13" height="{h:.1f}" '
                f'fill="{colour}"><title>{e(lab)} ({who}): {100 * v:.1f} %</title></rect>'
            )
        cx = x0 + 14
        parts.append(
            f'<text x="{cx}" y="{top + plot_h + 12}" text-anchor="end" class="tick" '
            f'transform="rotate(-45 {cx} {top + plot_h + 12})">{e(short(lab))}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{width - 10}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#9aa4b1"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="tick">{100 * vmax:.0f} %</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _heat_colour(v: float, signed: bool) -> str:
    v = float(np.clip(v, -1.0, 1.0))
    if not signed:
        v = abs(v)
    base = (192, 57, 43) if v >= 0 else (47, 93, 138)
    a = abs(v)
    rgb = [round(255 + (c - 255) * a) for c in base]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def heat_map(title: str, names: Sequence[str], matrix: np.ndarray, *, signed: bool = True) -> str:
    """A matrix of associations as coloured cells, its values in the cells' tooltips."""
    n = len(names)
    cell = max(12, min(34, 480 // max(1, n)))
    left = top = 150
    width, height = left + cell * n + 90, top + cell * n + 10
    parts = _open(width, height, title)
    parts.append(f'<text x="4" y="16" class="axis">{e(short(title))}</text>')
    for i, name in enumerate(names):
        y = top + cell * i + cell * 0.65
        parts.append(
            f'<text x="{left - 4}" y="{y:.1f}" text-anchor="end" class="tick">{e(short(name))}</text>'
        )
        x = left + cell * i + cell * 0.6
        parts.append(
            f'<text x="{x:.1f}" y="{top - 4}" class="tick" transform="rotate(-60 {x:.1f} {top - 4})">'
            f"{e(short(name))}</text>"
        )
        for j, other in enumerate(names):
            v = float(matrix[i, j])
            parts.append(
                f'<rect x="{left + cell * j}" y="{top + cell * i}" width="{cell - 1}" '
                f'height="{cell - 1}" fill="{_heat_colour(v, signed)}"><title>{e(name)} × '
                f"{e(other)}: {v:.3f}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def risk_chart(title: str, rows: Sequence[tuple[str, float, float, float]]) -> str:
    """Horizontal risks with their confidence intervals as whiskers, on a 0–100 % axis."""
    left, right, row_h, top = 200, 30, 24, 28
    width = 720
    plot_w = width - left - right
    height = top + row_h * len(rows) + 24
    parts = _open(width, height, title)
    for t in range(0, 101, 25):
        x = left + plot_w * t / 100
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 20}" stroke="#e3e7ec"/>'
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" class="tick">{t} %</text>'
        )
    for i, (label, risk, low, high) in enumerate(rows):
        y = top + row_h * i
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" class="tick">{e(short(label))}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{plot_w * risk:.1f}" height="{row_h - 10}" '
            f'fill="{RISKY}" opacity="0.75"><title>{e(label)}: risk {100 * risk:.1f} % '
            f"(interval {100 * low:.1f}–{100 * high:.1f} %)</title></rect>"
        )
        x1, x2, ym = left + plot_w * low, left + plot_w * high, y + row_h / 2 - 1
        parts.append(
            f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{ym:.1f}" y2="{ym:.1f}" stroke="#222"/>'
            f'<line x1="{x1:.1f}" x2="{x1:.1f}" y1="{ym - 5:.1f}" y2="{ym + 5:.1f}" stroke="#222"/>'
            f'<line x1="{x2:.1f}" x2="{x2:.1f}" y1="{ym - 5:.1f}" y2="{ym + 5:.1f}" stroke="#222"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
