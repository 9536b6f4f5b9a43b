"""The HTML risk report: well-formed, self-contained, escaped, with its plots and release section."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pyarrow as pa
import pytest

from bulle.anonymization.report_html import _nice_step, check_release_info, pct, render_html
from bulle.anonymization.risk import risk_from_frequencies, summarize
from bulle.errors import InputError

VOID = {"meta", "br", "img", "hr", "input", "link"}
SVG_EMPTY = {"line", "rect", "path", "circle"}


class Checker(HTMLParser):
    """Checks tags nest properly and collects what a self-contained page must not have."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: Counter[str] = Counter()
        self.external: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        for name, value in attrs:
            if name in ("src", "href") or (
                value and ("http://" in value or "https://" in value) and name != "xmlns"
            ):
                self.external.append(f"{tag} {name}={value}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Checker:
    c = Checker()
    c.feed(page)
    c.close()
    assert not c.stack, f"unclosed: {c.stack}"
    return c


def report_with_subjects():
    rows = [("x", "1", "s1"), ("x", "1", "s2"), ("y", "2", "s1"), ("*", "*", "s3")]
    counts = Counter(rows)
    freq = pa.table(
        {
            "a": [k[0] for k in counts],
            "b": [k[1] for k in counts],
            "sid": [k[2] for k in counts],
            "count": list(counts.values()),
        }
    )
    return risk_from_frequencies(freq, ["a", "b"], subject_id="sid")


def test_page_parses_and_has_both_plots() -> None:
    page = render_html(report_with_subjects())
    c = parse(page)
    assert c.tags["svg"] == 2 and c.tags["rect"] > 2
    assert c.tags["script"] == 0 and c.tags["link"] == 0 and c.tags["img"] == 0
    assert not c.external
    text = " ".join(c.text)
    assert "Class sizes" in text and "Risk distribution" in text
    assert "Subjects" in text and "1 of 3 subjects have several rows" in text


def test_every_value_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    freq = pa.table({evil: ["a", "b"], "count": [1, 4]})
    r = risk_from_frequencies(freq, [evil])
    info = {
        "transformation": {evil: 1},
        "heights": {evil: 2},
        "examples": {evil: [[evil, "<b>"]]},
        "privacy_models": [evil],
        "metric": evil,
        "information_loss": 0.5,
        "suppressed_records": 0,
        "anonymous": True,
    }
    page = render_html(r, info, title=evil, source=evil)
    assert "<script>" not in page and "<b>" not in page.replace("<b>&lt;b&gt;</b>", "")
    c = parse(page)
    assert c.tags["script"] == 0
    assert evil in " ".join(c.text)  # shown as text, not run


def test_release_section_shows_levels_examples_and_suppression() -> None:
    r = summarize([5, 7, 10], suppressed_records=3)
    r.quasi_identifiers = ["age", "sex"]
    hier = [[str(a), f"[{a - a % 5}, {a - a % 5 + 5}[", "*"] for a in range(20, 60)]
    info = {
        "transformation": {"age": 1, "sex": 0},
        "heights": {"age": 2, "sex": 1},
        "hierarchies": {"age": hier},
        "suppressed_records": 3,
        "records": 25,
        "privacy_models": ["5-anonymity"],
        "metric": "loss",
        "information_loss": 0.25,
        "anonymous": True,
    }
    page = render_html(r, info)
    c = parse(page)
    text = " ".join(c.text)
    assert "What the release changed" in text
    assert "1 / 2" in text and "0 / 1" in text and "kept as is" in text
    assert "20 → " in text and "[20, 25[" in text  # an example mapping from the hierarchy
    assert "12 % of 25 records" in text  # 3 suppressed of 25
    assert c.tags["svg"] == 4  # two plots and one level bar per quasi-identifier


@pytest.mark.parametrize(
    "info, where",
    [
        ("nope", "release_info"),
        ({"transformation": {"age": "2"}}, "transformation"),
        ({"suppressed_records": 1.5}, "suppressed_records"),
        ({"colour": 1}, "release_info"),
        ({"examples": {"age": "x"}}, "examples"),
    ],
)
def test_release_info_shape_is_checked(info, where) -> None:
    with pytest.raises(InputError) as err:
        check_release_info(info)
    assert err.value.where.field == where


def test_all_suppressed_table_still_renders() -> None:
    r = summarize([], suppressed_records=4)
    c = parse(render_html(r))
    assert "No class." in " ".join(c.text)


def test_formatting_helpers() -> None:
    assert pct(1.0) == "100 %" and pct(0.6003) == "60.0 %" and pct(0.00012) == "0.012 %"
    assert pct(None) == "–"
    assert _nice_step(0.465) == 0.2 and _nice_step(0.07) == 0.02 and _nice_step(0) == 0.25
