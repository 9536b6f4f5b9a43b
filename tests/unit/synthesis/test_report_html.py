"""The synthetic data report page: self-contained, well-formed, and hostile names escaped."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import numpy as np
import pandas as pd

from bulle.synthesis.privacy import privacy_report
from bulle.synthesis.report_html import render_html
from bulle.synthesis.utility import utility_report

HOSTILE_COLUMN = "<script>alert('col')</script>"
HOSTILE_VALUE = '"><img src=x onerror=alert(1)>'
HOSTILE_META = "</table><iframe src='https://evil.example'>"
VOID = {"meta", "br", "img", "hr", "input", "link"}


class Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: Counter[str] = Counter()
        self.outside: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        for name, value in attrs:
            if name in ("src", "href") or name.startswith("on"):
                self.outside.append(f"{tag} {name}={value}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def hostile_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)

    def draw(n: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                HOSTILE_COLUMN: rng.choice([HOSTILE_VALUE, "plain", "a&b"], n),
                "age": rng.integers(18, 90, n),
                "label": rng.choice(["x", "y"], n),
            }
        )

    return draw(300), draw(200), draw(300)


def test_hostile_names_and_values_are_escaped_and_the_page_is_self_contained() -> None:
    train, control, synthetic = hostile_tables()
    privacy = privacy_report(
        train, control, synthetic, quasi_identifiers=None, sensitive=None, seed=0, n_attacks=50
    )
    utility = utility_report(train, control, synthetic, target="label", seed=0)
    page = render_html(
        privacy,
        utility,
        train=train,
        synthetic=synthetic,
        meta={"method": "test", HOSTILE_META: HOSTILE_META},
    )
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.stack == []
    assert checker.tags["script"] == 0 and checker.tags["img"] == 0 and checker.tags["iframe"] == 0
    assert checker.outside == []  # no resource from elsewhere, no event handler
    text = "".join(checker.text)
    assert HOSTILE_COLUMN in text  # shown, as text
    assert HOSTILE_VALUE in text  # the category appears in the marginal chart, as text
    assert HOSTILE_META in text
    assert "default-src 'none'" in page
    # the drawings are there: a risk chart, one marginal per column, three heat maps
    assert checker.tags["svg"] == 1 + 3 + 3
    assert "inference of " + HOSTILE_COLUMN in text


def test_page_without_target_and_with_missing_values() -> None:
    train, control, synthetic = hostile_tables()
    train.loc[::3, "age"] = None
    synthetic.loc[::4, HOSTILE_COLUMN] = None
    privacy = privacy_report(
        train,
        control,
        synthetic,
        quasi_identifiers=["age"],
        sensitive=["label"],
        seed=1,
        n_attacks=40,
    )
    utility = utility_report(train, control, synthetic, target=None, seed=1)
    page = render_html(privacy, utility, train=train, synthetic=synthetic, meta={})
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.stack == []
    text = "".join(checker.text)
    assert "AUC" not in text and "inference of label" in text
    assert "(missing)" in text
