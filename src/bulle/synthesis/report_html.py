"""A self-contained HTML page for a synthetic table's privacy and utility reports.

The page travels with the synthetic data to people deciding whether it may be used or shared,
often offline on machines that block outside resources: it carries one ``<style>``, drawings as
inline SVG (:mod:`.report_svg`), no script, no font, stylesheet or image from elsewhere. Every
value from the data, the parameters or ``meta`` is escaped: column names and categories are user
input and hostile ones are in the threat model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bulle.synthesis.privacy import PrivacyReport
from bulle.synthesis.privacy.confidence import AttackResult
from bulle.synthesis.privacy.encoding import is_numeric
from bulle.synthesis.report_svg import e, heat_map, marginal_chart, risk_chart
from bulle.synthesis.utility import UtilityReport

MAX_CATEGORIES = 12  # categories drawn per column; the rest are summed as "other"
HIST_BINS = 10
MISSING = "(missing)"

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;color:#1d2733;max-width:1100px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #d5dbe2}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #d5dbe2;padding:.25em .6em;text-align:left}
th{background:#f2f5f8}td.n{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:1em}.chart{max-width:100%;height:auto}
.tick{font-size:10px;fill:#4a5663}.axis{font-size:12px;fill:#1d2733;font-weight:600}
.note{color:#4a5663}.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em}
"""


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * float(x):.1f} %"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{float(x):.4f}"


def _shares(train: pd.Series, synthetic: pd.Series) -> tuple[list[str], list[float], list[float]]:
    """Labels and shares of a column in both tables, on common categories or bins."""
    if is_numeric(train):
        t = pd.to_numeric(train, errors="coerce").dropna().to_numpy(dtype=float)
        s = pd.to_numeric(synthetic, errors="coerce").dropna().to_numpy(dtype=float)
        if len(t) == 0:
            return [], [], []
        lo, hi = float(t.min()), float(t.max())
        edges = np.linspace(lo, hi if hi > lo else lo + 1, HIST_BINS + 1)
        ht = np.histogram(np.clip(t, lo, edges[-1]), edges)[0] / max(1, len(train))
        hs = np.histogram(np.clip(s, lo, edges[-1]), edges)[0] / max(1, len(synthetic))
        labels = [f"{edges[i]:.4g}–{edges[i + 1]:.4g}" for i in range(HIST_BINS)]
        return labels, ht.tolist(), hs.tolist()
    rt = train.astype("string").fillna(MISSING).value_counts(normalize=True)
    rs = synthetic.astype("string").fillna(MISSING).value_counts(normalize=True)
    top = list(rt.index[:MAX_CATEGORIES])
    if MISSING not in top and (MISSING in rt.index or MISSING in rs.index):
        top.append(MISSING)  # a table with missing values the other lacks: always shown
    labels = [str(v) for v in top]
    real = [float(rt.get(v, 0.0)) for v in top]
    syn = [float(rs.get(v, 0.0)) for v in top]
    if set(rt.index) - set(top) or set(rs.index) - set(top):
        labels.append("(other)")
        real.append(max(0.0, 1.0 - sum(real)))
        syn.append(max(0.0, 1.0 - sum(syn)))
    return labels, real, syn


def _attack_row(label: str, r: AttackResult) -> str:
    return (
        f"<tr><td>{e(label)}</td><td class='n'>{_pct(r.risk)}</td>"
        f"<td class='n'>{_pct(r.ci[0])} – {_pct(r.ci[1])}</td>"
        f"<td class='n'>{_pct(r.main.value)}</td><td class='n'>{_pct(r.control.value)}</td>"
        f"<td class='n'>{_pct(r.baseline.value)}</td><td class='n'>{r.attempts}"
        + ("" if r.predicates is None else f" ({r.predicates} predicates written)")
        + "</td>"
        f"<td>{'yes' if r.weaker_than_baseline else ''}</td></tr>"
    )


def _privacy(p: PrivacyReport) -> str:
    attacks = [
        ("singling out, univariate", p.univariate),
        ("singling out, multivariate", p.multivariate),
        ("linkability", p.linkability),
        *((f"inference of {c}", r) for c, r in p.inference.items()),
    ]
    head = (
        "<tr><th>attack</th><th>risk</th><th>95 % interval</th><th>success on training</th>"
        "<th>on control</th><th>naive baseline</th><th>attacks</th><th>no better than baseline</th></tr>"
    )
    groups = " | ".join(", ".join(e(c) for c in g) for g in p.link_groups)
    d = p.distances
    return "".join(
        [
            "<h2>Privacy</h2><p class='note'>Risk = (success on training − success on control) / "
            "(1 − success on control), Giomi et al. (PETS 2023); control records never reached "
            "the synthesizer.</p>",
            risk_chart(
                "risks and their confidence intervals", [(a, r.risk, *r.ci) for a, r in attacks]
            ),
            f"<table>{head}{''.join(_attack_row(a, r) for a, r in attacks)}</table>",
            f"<p class='note'>Linkability joins the column groups {groups}.</p>",
            "<table><tr><th>distance figure</th><th>synthetic → training</th>"
            "<th>control → training (natural)</th></tr>",
            f"<tr><td>median distance to closest record</td><td class='n'>{_num(d.synthetic_dcr_median)}</td>"
            f"<td class='n'>{_num(d.control_dcr_median)}</td></tr>",
            f"<tr><td>median nearest-neighbour distance ratio</td><td class='n'>"
            f"{_num(d.synthetic_nndr_median)}</td><td class='n'>{_num(d.control_nndr_median)}</td></tr>",
            f"<tr><td>exact copies of a training record</td><td class='n'>{_pct(d.exact_copies)}</td>"
            f"<td class='n'>{_pct(d.exact_copies_natural)}</td></tr></table>",
        ]
    )


def _utility(u: UtilityReport, train: pd.DataFrame, synthetic: pd.DataFrame) -> str:
    rows = [
        ("mean 1-way total variation distance", _num(u.tvd_1way), _num(u.tvd_1way_natural)),
        ("mean 2-way total variation distance", _num(u.tvd_2way), _num(u.tvd_2way_natural)),
        (
            "mean absolute association difference",
            _num(u.association_difference),
            _num(u.association_difference_natural),
        ),
    ]
    if u.model is not None:
        rows.append(
            (
                f"{u.model.metric.upper()} predicting {u.target} (trained on synthetic / on training)",
                _num(u.model.synthetic),
                _num(u.model.real),
            )
        )
    table = "".join(
        f"<tr><td>{e(a)}</td><td class='n'>{b}</td><td class='n'>{c}</td></tr>" for a, b, c in rows
    )
    per_col = "".join(
        f"<tr><td>{e(c.name)}</td><td>{e(c.kind)}</td><td class='n'>{_num(c.tvd)}</td>"
        f"<td class='n'>{_num(c.tvd_natural)}</td><td class='n'>{_num(c.ks)}</td>"
        f"<td class='n'>{_num(c.wasserstein)}</td></tr>"
        for c in u.columns
    )
    charts = []
    for col in train.columns:
        if col in synthetic.columns:
            labels, real, syn = _shares(train[col], synthetic[col])
            if labels:
                charts.append(marginal_chart(str(col), labels, real, syn))
    names = list(u.names)
    diff = np.abs(u.association_real - u.association_synthetic)
    return "".join(
        [
            "<h2>Utility</h2><table><tr><th>figure</th><th>synthetic vs training</th>"
            f"<th>control vs training (natural)</th></tr>{table}</table>",
            "<table><tr><th>column</th><th>kind</th><th>TVD</th><th>natural TVD</th><th>KS</th>"
            f"<th>Wasserstein / range</th></tr>{per_col}</table>",
            "<h2>Marginals</h2><p class='legend'><span style='background:#2f5d8a'></span>training"
            "<span style='background:#d68a3a'></span>synthetic</p>",
            f"<div class='charts'>{''.join(charts)}</div>",
            "<h2>Associations</h2><p class='note'>Pearson's r between numbers, Cramér's V "
            "between categories, correlation ratio between a number and a category.</p>",
            "<div class='charts'>",
            heat_map("training", names, u.association_real),
            heat_map("synthetic", names, u.association_synthetic),
            heat_map("absolute difference", names, diff, signed=False),
            "</div>",
        ]
    )


def render_html(
    privacy: PrivacyReport,
    utility: UtilityReport,
    *,
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    meta: dict[str, Any],
) -> str:
    """The whole page; ``meta`` (method, parameters, seed...) is shown as given, escaped."""
    meta_rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in meta.items())
    return "".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">",
            f"<title>Synthetic data report</title><style>{STYLE}</style></head><body>",
            "<h1>Synthetic data report</h1>",
            f"<table>{meta_rows}</table>" if meta_rows else "",
            _privacy(privacy),
            _utility(utility, train, synthetic),
            "</body></html>",
        ]
    )
