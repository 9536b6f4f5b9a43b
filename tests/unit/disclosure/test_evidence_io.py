"""Evidence read back from the job's folder is hostile input: every inconsistency is refused with
the field named, in one ValidationError (exit code 2)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bulle.disclosure import evidence_io
from bulle.disclosure.tables import crosstab, output_regression
from bulle.errors import ValidationError


@pytest.fixture
def plain() -> dict:
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {"a": rng.choice(["x", "y"], 60), "b": rng.choice(["p", "q"], 60), "v": rng.random(60)}
    )
    return evidence_io.to_dict(crosstab(df.a, df.b, values=df.v, aggfunc="sum")[1])


def refused(data, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        evidence_io.from_dict(data)
    fields = [p.where.field for p in err.value.problems]
    assert field in fields, (field, [str(p) for p in err.value.problems])
    assert err.value.exit_code == 2


def edit(plain: dict, fn) -> dict:
    data = copy.deepcopy(plain)
    fn(data)
    return data


def test_honest_evidence_is_read(plain: dict) -> None:
    assert evidence_io.to_dict(evidence_io.from_dict(plain)) == plain
    reg = evidence_io.to_dict(output_regression("m", 12))
    assert evidence_io.from_dict(reg).dof == 12


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d.update(kind="spreadsheet"), "kind"),
        (lambda d: d.update(statistic="nunique"), "statistic"),
        (lambda d: d.update(has_values="yes"), "has_values"),
        (lambda d: d.update(name=""), "name"),
        (lambda d: d["cells"]["count"].__setitem__(0, -1), "cells.count"),
        (lambda d: d["cells"]["count"].__setitem__(0, 1.5), "cells.count"),
        (lambda d: d["cells"]["count"].__setitem__(0, True), "cells.count"),
        (lambda d: d["cells"]["count"].pop(), "cells.count"),
        (lambda d: d["cells"]["total"].__setitem__(0, "many"), "cells.total"),
        (lambda d: d["cells"]["state"].__setitem__(0, "hidden"), "cells.state"),
        (lambda d: d["cells"].pop("top"), "cells"),
        (lambda d: d["row_labels"].append(["x"]), "cells.count"),
        (lambda d: d["row_labels"].__setitem__(1, d["row_labels"][0]), "row_labels"),
        (lambda d: d["row_labels"].__setitem__(0, ["x", "extra"]), "row_labels[0]"),
        (lambda d: d.update(round_base=-5), "round_base"),
        (lambda d: d.update(mitigation="blur"), "mitigation"),
    ],
)
def test_malformed_evidence_is_refused(plain: dict, change, field: str) -> None:
    refused(edit(plain, change), field)


def _lie_published(d: dict) -> None:
    d["cells"]["published"][0] = d["cells"]["published"][0] + 1


def _lie_top(d: dict) -> None:
    d["cells"]["top"][0] = [1e9, 1.0]


def _lie_order(d: dict) -> None:
    d["cells"]["top"][0] = list(reversed(d["cells"]["top"][0]))


def _lie_missing(d: dict) -> None:
    d["cells"]["missing"][0] = d["cells"]["count"][0] + 1


@pytest.mark.parametrize(
    "lie, field",
    [
        (_lie_published, "cells.published"),  # shows another value than the checked one
        (_lie_top, "cells.top"),  # a contribution larger than the total
        (_lie_order, "cells.top"),
        (_lie_missing, "cells.missing"),
    ],
)
def test_inconsistent_evidence_is_refused(plain: dict, lie, field: str) -> None:
    refused(edit(plain, lie), field)


def test_frequency_counts_must_be_the_values(plain: dict) -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.choice(["x", "y"], 30), "b": rng.choice(["p", "q"], 30)})
    d = evidence_io.to_dict(crosstab(df.a, df.b)[1])
    d["cells"]["value"][0] += 20
    d["cells"]["published"][0] += 20
    refused(d, "cells.value")


def test_json_and_parquet_garbage(tmp_path: Path, plain: dict) -> None:
    for text in ("not json", "[1, 2]", '{"format": "other"}', '{"a": NaN}'):
        with pytest.raises(ValidationError):
            evidence_io.from_json(text)
    bad = tmp_path / "e.parquet"
    bad.write_bytes(b"PAR1 garbage")
    with pytest.raises(ValidationError) as err:
        evidence_io.read_parquet(bad)
    assert str(bad) in str(err.value.problems[0])
    huge = dict(plain, row_labels=[[str(i)] for i in range(3_000_000)], col_labels=[["a"], ["b"]])
    refused(huge, "row_labels")
    json.dumps(plain)  # the plain form is JSON as it is


def _counts() -> tuple:
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"a": rng.choice(["x", "y", "z"], 40), "b": rng.choice(["p", "q"], 40)})
    return crosstab(df.a, df.b)


@pytest.mark.parametrize(
    "state, published, round_base",
    [
        ("suppressed", 7.0, 0),  # claims to hide a cell it shows
        ("redacted", 5.0, 0),  # a redacted cell is shown as 0
        ("rounded", 3.0, 5),  # not a multiple of the base
        ("rounded", 50.0, 5),  # a multiple, but not the count rounded
        ("rounded", 0.0, 0),  # rounded to no base
    ],
)
def test_a_cell_state_must_match_what_is_shown(state: str, published: float, round_base) -> None:
    d = evidence_io.to_dict(_counts()[1])
    d["cells"]["state"][0] = state
    d["cells"]["published"][0] = published
    d["round_base"] = round_base
    refused(d, "cells.published")


def test_the_published_table_must_be_the_checked_one() -> None:
    from bulle.disclosure.mitigations import mitigate
    from bulle.disclosure.verify import require_published

    table, ev = _counts()
    require_published(ev, table)
    m = mitigate("opensafely", table, ev)
    require_published(m.evidence, m.table)
    with pytest.raises(ValidationError):
        require_published(m.evidence, table)  # the exact counts instead of the rounded ones
    forged = table.copy()
    forged.iloc[0, 0] += 1
    with pytest.raises(ValidationError) as err:
        require_published(ev, forged)
    assert "1 cells differ" in str(err.value.problems[0])
    with pytest.raises(ValidationError):
        require_published(ev, table.iloc[:, :1])
