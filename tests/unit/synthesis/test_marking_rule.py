"""The marking rule on report figures: each check passes or fails on its own threshold."""

from __future__ import annotations

from bulle.synthesis.marking import SETTINGS, checks

LIMITS = {
    "synthesis.max_singling_out_risk": 0.1,
    "synthesis.max_linkability_risk": 0.1,
    "synthesis.max_inference_risk": 0.1,
    "synthesis.max_risk_upper_bound": 0.3,
    "synthesis.max_exact_copy_excess": 0.01,
}


def privacy(**heads) -> dict:
    base = {
        c: {"risk": 0.0, "ci": [0.0, 0.05]} for c in ("singling_out", "linkability", "inference")
    }
    base.update(heads)
    return {**base, "exact_copies": 0.3, "exact_copies_natural": 0.4}


def failed(p: dict) -> list[str]:
    return [c.name for c in checks(p, LIMITS) if not c.passed]


def test_every_setting_is_read() -> None:
    assert set(SETTINGS) == set(LIMITS)


def test_a_low_risk_report_passes() -> None:
    assert failed(privacy(inference={"risk": 0.08, "ci": [0.0, 0.25]})) == []


def test_the_point_risk_and_the_upper_bound_are_separate_checks() -> None:
    # a precise estimate over the threshold
    assert failed(privacy(inference={"risk": 0.12, "ci": [0.1, 0.14]})) == ["inference"]
    # a low estimate too imprecise to rule out a high risk
    assert failed(privacy(linkability={"risk": 0.02, "ci": [0.0, 0.35]})) == ["linkability_upper"]
    both = failed(privacy(singling_out={"risk": 0.5, "ci": [0.4, 0.6]}))
    assert both == ["singling_out", "singling_out_upper"]


def test_exact_copies_are_judged_against_the_natural_rate() -> None:
    p = privacy()
    assert failed({**p, "exact_copies": 0.405}) == []
    assert failed({**p, "exact_copies": 0.42}) == ["exact_copy_excess"]
    check = next(c for c in checks({**p, "exact_copies": 0.42}, LIMITS) if not c.passed)
    assert check.explain() == (
        "exact copies beyond the natural rate 0.020 > 0.010 (setting synthesis.max_exact_copy_excess)"
    )


def test_a_missing_figure_fails() -> None:
    p = privacy()
    del p["exact_copies_natural"]
    p["inference"] = {"risk": None, "ci": [0.0, None]}
    assert failed(p) == ["inference", "inference_upper", "exact_copy_excess"]
