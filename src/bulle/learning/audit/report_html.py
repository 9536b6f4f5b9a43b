"""The audit as a self-contained HTML page: the figures, the gate's verdict, the ROC on log axes.

The page is stored with the model and read by a DPO deciding whether it may leave the project,
often offline, so everything is inline (one ``<style>``, the curve drawn here as SVG, no script,
nothing fetched). The ROC is drawn on log-log axes because the attack matters at the left edge
(0.1 % FPR) and a linear plot squeezes that edge into a pixel; on these axes a chance attack is
the diagonal. Every text that comes from the caller goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from bulle.learning.audit.gate import ReleaseDecision
from bulle.learning.audit.lira import MembershipAudit, PipelineAudit

WIDTH, HEIGHT, MARGIN = 520, 420, 60
DECADES = 4  # axes from 10^-4 to 1
COLOURS = {"model": "#c0392b", "reference": "#2471a3"}


def render_audit_html(
    audit: MembershipAudit, decision: ReleaseDecision | None = None, title: str = "Model"
) -> str:
    """The audit page; with ``decision``, the gate's verdict, reasons and warnings at the top."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Membership audit: {e(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
        "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.3em .6em;"
        "text-align:right}th:first-child,td:first-child{text-align:left}"
        ".blocked{color:#a00}.released{color:#070}.warn{color:#a60}</style></head><body>",
        f"<h1>Membership audit: {e(title)}</h1>",
    ]
    if decision is not None:
        verdict = "released" if decision.released else "blocked"
        parts.append(f'<p class="{verdict}"><strong>Release gate: {verdict}</strong></p>')
        parts += [f'<p class="blocked">{e(r)}</p>' for r in decision.reasons]
        parts += [f'<p class="warn">Warning: {e(w)}</p>' for w in decision.warnings]
    parts.append(
        f"<p>Offline LiRA with a global variance, {audit.n_shadows} shadow models "
        f"({audit.n_shadows - audit.n_shadows // 2} without each record), seed {audit.seed}, "
        f"{audit.n_records} records of which {int(audit.members.sum())} trained the audited "
        "model. A score above the threshold flags a record as a member; the true-positive rate "
        "(TPR) is the share of members flagged, at the stated share of non-members flagged "
        "(FPR). Intervals are 95 %: Clopper-Pearson for the TPRs, DeLong for the AUC.</p>"
    )
    parts.append(_table(audit))
    parts.append(_svg([("model", audit.target), ("reference", audit.reference)]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _table(audit: MembershipAudit) -> str:
    rows = [
        "<table><tr><th>Pipeline</th><th>AUC</th><th>TPR at 0.1 % FPR</th>"
        "<th>TPR at 1 % FPR</th><th>Accuracy, members</th><th>Accuracy, non-members</th></tr>"
    ]
    for name, p in (("model", audit.target), ("reference", audit.reference)):
        if p is None:
            rows.append(f'<tr><td>{name}</td><td colspan="5">not audited</td></tr>')
            continue
        f = p.figures
        low, one = f.point(0.001), f.point(0.01)
        rows.append(
            f"<tr><td>{name}</td><td>{f.auc:.4f} [{f.auc_ci[0]:.4f}, {f.auc_ci[1]:.4f}]</td>"
            f"<td>{_pct(low.tpr)} [{_pct(low.ci[0])}, {_pct(low.ci[1])}]</td>"
            f"<td>{_pct(one.tpr)} [{_pct(one.ci[0])}, {_pct(one.ci[1])}]</td>"
            f"<td>{_pct(p.accuracy_members)}</td><td>{_pct(p.accuracy_non_members)}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _svg(curves: Sequence[tuple[str, PipelineAudit | None]]) -> str:
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    lo = 10.0**-DECADES

    def x(v: float) -> float:
        return MARGIN + plot_w * (math.log10(max(v, lo)) + DECADES) / DECADES

    def y(v: float) -> float:
        return HEIGHT - MARGIN - plot_h * (math.log10(max(v, lo)) + DECADES) / DECADES

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        'role="img" aria-label="ROC curve of the membership attack on log axes">',
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#444"/>',
    ]
    for k in range(DECADES + 1):
        v = 10.0 ** (k - DECADES)
        label = "1" if k == DECADES else f"1e-{DECADES - k}"
        out.append(
            f'<line x1="{x(v):.1f}" y1="{MARGIN}" x2="{x(v):.1f}" y2="{HEIGHT - MARGIN}" '
            f'stroke="#ddd"/><text x="{x(v):.1f}" y="{HEIGHT - MARGIN + 16}" font-size="11" '
            f'text-anchor="middle">{label}</text>'
            f'<line x1="{MARGIN}" y1="{y(v):.1f}" x2="{WIDTH - MARGIN}" y2="{y(v):.1f}" '
            f'stroke="#ddd"/><text x="{MARGIN - 6}" y="{y(v) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{label}</text>'
        )
    for budget in (0.001, 0.01):
        out.append(
            f'<line x1="{x(budget):.1f}" y1="{MARGIN}" x2="{x(budget):.1f}" '
            f'y2="{HEIGHT - MARGIN}" stroke="#888" stroke-dasharray="4 3"/>'
            f'<text x="{x(budget) + 3:.1f}" y="{HEIGHT - MARGIN - 6}" font-size="10" '
            f'fill="#555">{100 * budget:g} % FPR</text>'
        )
    out.append(
        f'<line x1="{x(lo):.1f}" y1="{y(lo):.1f}" x2="{x(1):.1f}" y2="{y(1):.1f}" '
        'stroke="#999" stroke-dasharray="2 2"><title>chance</title></line>'
    )
    legend_y = MARGIN + 16
    for name, audit in curves:
        if audit is None:
            continue
        pts = " ".join(
            f"{x(f):.1f},{y(t):.1f}"
            for f, t in zip(audit.figures.roc_fpr, audit.figures.roc_tpr, strict=True)
        )
        colour = COLOURS[name]
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{name}</title></polyline>"
            f'<text x="{MARGIN + 8}" y="{legend_y}" font-size="12" fill="{colour}">{name} '
            f"(AUC {audit.figures.auc:.3f})</text>"
        )
        legend_y += 16
    out.append(
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" font-size="12" text-anchor="middle">'
        "false-positive rate (log)</text>"
        f'<text x="16" y="{HEIGHT / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 16 {HEIGHT / 2})">true-positive rate (log)</text></svg>'
    )
    return "\n".join(out)


def _pct(share: float) -> str:
    return f"{100 * share:.2f} %"
