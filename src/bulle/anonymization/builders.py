"""Builders of generalization hierarchies: from a column's values to ARX-style rows.

Writing a hierarchy by hand for ages, dates or postcodes is tedious and error-prone (a gap, a
value in two groups), and a hierarchy that does not cover the data makes the anonymization fail
late. These builders derive a consistent hierarchy from the values themselves. Each returns rows
``[leaf, level1, ..., '*']``: one row per distinct value, every row the same length, every level
a function of the one below, a single top ``*``; ``Hierarchy.from_rows`` consumes them and the
ARX CSV writer stores them.

Labels follow ARX's builders where ARX has one: intervals are ``[lo, hi[`` (lower bound
included, upper excluded), groups of ordered categories ``[first, last]``, masks replace
trailing characters with ``*``.

Bad input is reported all at once (up to ``MAX_PROBLEMS``), each problem located through the
``locate`` callback, which turns the index of a value in the given sequence into a
:class:`~bulle.errors.Where` (the CLI maps it to a file line and column).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from itertools import pairwise

from bulle.errors import InputError, Problem, ValidationError, Where

TOP = "*"
MAX_PROBLEMS = 50
DATE_LEVELS = ("month", "quarter", "year", "decade")
FORBIDDEN = (";", "\n", "\r")  # cannot be stored in ARX's unquoted ';' format

Locate = Callable[[int], Where]


def _default_locate(i: int) -> Where:
    return Where(field=f"value {i + 1}")


class _Problems:
    """Collects problems, keeping the first MAX_PROBLEMS and counting the rest."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0

    def add(self, message: str, where: Where) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(message, where))
        else:
            self.more += 1

    def raise_if_any(self, what: str) -> None:
        if not self.items:
            return
        items = list(self.items)
        if self.more:
            items.append(Problem(f"... and {self.more} more problem(s) of the same kind"))
        err = ValidationError.from_problems(what, items)
        if self.more:
            err.message = f"{what}: {len(self.items) + self.more} problems"
            err.args = (err.message,)
        raise err


def distinct_values(
    values: Iterable[str | None],
    locate: Locate | None = None,
    what: str = "hierarchy",
    problems: _Problems | None = None,
) -> dict[str, int]:
    """Distinct values -> index of their first occurrence; missing or unstorable values fail.

    With ``problems`` given, problems are added to it (so the caller reports them together with
    its own) and storable values are returned; otherwise they are raised here.
    """
    locate = locate or _default_locate
    first: dict[str, int] = {}
    own = problems is None
    problems = problems if problems is not None else _Problems()
    for i, v in enumerate(values):
        if v is None:
            problems.add("missing value: every value needs a place in the hierarchy", locate(i))
            continue
        if v not in first:
            first[v] = i
            bad = [c for c in FORBIDDEN if c in v]
            if bad:
                problems.add(
                    f"value {v!r} contains {bad[0]!r}, which the hierarchy format cannot store",
                    locate(i),
                )
    if own:
        problems.raise_if_any(f"cannot build the {what} hierarchy")
    if not first and not problems.items:
        raise InputError(f"no values to build the {what} hierarchy from", Where(field="values"))
    return {v: i for v, i in first.items() if not any(c in v for c in FORBIDDEN)}


# ------------------------------------------------------------------------------------------
# flat
# ------------------------------------------------------------------------------------------


def flat_rows(values: Iterable[str | None], locate: Locate | None = None) -> list[list[str]]:
    """Value -> ``*``: the attribute is either kept or removed entirely."""
    leaves = sorted(distinct_values(values, locate, "flat"))
    return [[v, TOP] for v in leaves]


# ------------------------------------------------------------------------------------------
# numeric intervals
# ------------------------------------------------------------------------------------------


def fmt_decimal(d: Decimal) -> str:
    """A number as written by a person: no exponent, no trailing zeros, no '-0'."""
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _decimal(text: str) -> Decimal | None:
    try:
        d = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def interval_rows(
    values: Iterable[str | None],
    width: float | str | Decimal,
    fanouts: Sequence[int] = (),
    origin: float | str | Decimal = 0,
    locate: Locate | None = None,
) -> list[list[str]]:
    """Numbers -> ``[lo, lo+width[`` -> intervals ``fanout`` times wider -> ... -> ``*``.

    Intervals are aligned on ``origin`` (0 by default, so labels are round numbers), and each
    level's width is the previous one's times its fan-out, so every interval nests in exactly
    one interval of the next level. E.g. width 5, fan-outs (2, 5): 23 -> [20, 25[ ->
    [20, 30[ -> [0, 50[ -> *.
    """
    locate = locate or _default_locate
    params = _Problems()
    w = _decimal(str(width))
    o = _decimal(str(origin))
    if w is None or w <= 0:
        params.add(f"interval width must be a positive number, got {width!r}", Where(field="width"))
    if o is None:
        params.add(f"origin must be a number, got {origin!r}", Where(field="origin"))
    for f in fanouts:
        if not isinstance(f, int) or isinstance(f, bool) or f < 2:
            params.add(
                f"each fan-out must be an integer of at least 2, got {f!r}", Where(field="fanout")
            )
    params.raise_if_any("bad interval hierarchy parameters")
    assert w is not None and o is not None
    problems = _Problems()
    first = distinct_values(values, locate, "interval", problems)
    numbers: dict[str, Decimal] = {}
    for v, i in first.items():
        d = _decimal(v)
        if d is None:
            problems.add(
                f"not a number: {v!r} (an interval hierarchy needs numeric values)", locate(i)
            )
        else:
            numbers[v] = d
    problems.raise_if_any("cannot build the interval hierarchy")
    widths = [w]
    for f in fanouts:
        widths.append(widths[-1] * f)
    rows = []
    for v in sorted(numbers, key=lambda s: (numbers[s], s)):
        x = numbers[v]
        row = [v]
        for wi in widths:
            lo = o + ((x - o) / wi).to_integral_value(rounding=ROUND_FLOOR) * wi
            row.append(f"[{fmt_decimal(lo)}, {fmt_decimal(lo + wi)}[")
        row.append(TOP)
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------------
# dates
# ------------------------------------------------------------------------------------------


def _parse_date(text: str, formats: Sequence[str] | None) -> date | None:
    s = text.strip()
    if formats:
        for f in formats:
            try:
                return datetime.strptime(s, f).date()
            except ValueError:
                continue
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(s).date()
    except ValueError:
        return None


def _date_label(d: date, level: str) -> str:
    if level == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if level == "quarter":
        return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"
    if level == "year":
        return f"{d.year:04d}"
    lo = d.year - d.year % 10
    return f"[{lo}, {lo + 10}["


def date_rows(
    values: Iterable[str | None],
    levels: Sequence[str] = ("month", "year", "decade"),
    formats: Sequence[str] | None = None,
    locate: Locate | None = None,
) -> list[list[str]]:
    """Dates -> month (2021-03) -> [quarter (2021-Q1)] -> year (2021) -> decade -> ``*``.

    Values are ISO dates (or date-times) unless ``formats`` (``strptime`` patterns, tried in
    order) say otherwise; the leaf stays the value as written.
    """
    locate = locate or _default_locate
    params = _Problems()
    unknown = [lv for lv in levels if lv not in DATE_LEVELS]
    if unknown:
        params.add(
            f"unknown date level(s): {', '.join(unknown)} (choose among {', '.join(DATE_LEVELS)})",
            Where(field="levels"),
        )
    elif [DATE_LEVELS.index(lv) for lv in levels] != sorted(
        {DATE_LEVELS.index(lv) for lv in levels}
    ):
        params.add(
            f"date levels must go from finer to coarser, each once ({' -> '.join(DATE_LEVELS)})",
            Where(field="levels"),
        )
    params.raise_if_any("bad date hierarchy parameters")
    problems = _Problems()
    first = distinct_values(values, locate, "date", problems)
    parsed: dict[str, date] = {}
    for v, i in first.items():
        d = _parse_date(v, formats)
        if d is None:
            expected = " or ".join(formats) if formats else "an ISO date such as 2021-03-15"
            problems.add(f"not a date: {v!r} (expected {expected})", locate(i))
        else:
            parsed[v] = d
    problems.raise_if_any("cannot build the date hierarchy")
    return [
        [v, *(_date_label(parsed[v], lv) for lv in levels), TOP]
        for v in sorted(parsed, key=lambda s: (parsed[s], s))
    ]


# ------------------------------------------------------------------------------------------
# masking (postcodes, NIR)
# ------------------------------------------------------------------------------------------


def _mask(value: str, keep: int, char: str) -> str:
    return value if keep >= len(value) else value[:keep] + char * (len(value) - keep)


def mask_rows(
    values: Iterable[str | None],
    keep: Sequence[int] | None = None,
    step: int = 1,
    char: str = "*",
    locate: Locate | None = None,
) -> list[list[str]]:
    """Mask trailing characters, a few more at each level: 75011 -> 7501* -> 750** -> ... -> ``*``.

    ``keep`` lists how many leading characters each level keeps (strictly decreasing, > 0);
    by default every ``step`` characters from the longest value's length down to one.
    """
    params = _Problems()
    if len(char) != 1:
        params.add(f"mask character must be one character, got {char!r}", Where(field="char"))
    if step < 1:
        params.add(f"step must be at least 1, got {step}", Where(field="step"))
    if keep is not None:
        if any(k < 1 for k in keep):
            params.add(
                "kept prefix lengths must be at least 1 (the top level '*' masks all)",
                Where(field="keep"),
            )
        if any(a <= b for a, b in pairwise(keep)):
            params.add(
                f"kept prefix lengths must decrease strictly, got {list(keep)}", Where(field="keep")
            )
    params.raise_if_any("bad mask hierarchy parameters")
    leaves = sorted(distinct_values(values, locate, "mask"))
    return _masked(leaves, leaves, keep, step, char)


def _masked(
    leaves: list[str], normalized: list[str], keep: Sequence[int] | None, step: int, char: str
) -> list[list[str]]:
    longest = max(len(v) for v in normalized)
    if keep is None:
        keep = list(range(longest - step, 0, -step))
    return [
        [leaf, *(_mask(norm, k, char) for k in keep), TOP]
        for leaf, norm in zip(leaves, normalized, strict=True)
    ]


NIR_RE = re.compile(r"^[1-8]\d{2}\d{2}(\d{2}|2[AB])\d{6}(\d{2})?$")
NIR_KEEP = (5, 3, 1)  # sex + year + month, sex + year, sex


def nir_rows(
    values: Iterable[str | None], keep: Sequence[int] = NIR_KEEP, locate: Locate | None = None
) -> list[list[str]]:
    """French social security numbers (NIR) masked by prefix: keep sex, birth year and month,
    then year, then sex, then nothing.

    The NIR's leading digits are sex (1), year (2), month (2), department (2), commune (3):
    prefixes are the natural generalization. Spaces inside a value are ignored for masking;
    the leaf stays the value as written.
    """
    locate = locate or _default_locate
    problems = _Problems()
    first = distinct_values(values, locate, "NIR", problems)
    norm: dict[str, str] = {}
    for v, i in first.items():
        n = re.sub(r"\s+", "", v).upper()
        if not NIR_RE.match(n):
            problems.add(
                f"not a NIR: {v!r} (expected 13 or 15 characters: sex, year, month, "
                "department, commune, order[, key])",
                locate(i),
            )
        else:
            norm[v] = n[:13]  # the key (2 last digits) says nothing more about the person
    if any(k < 1 for k in keep) or any(a <= b for a, b in pairwise(keep)):
        problems.add(
            f"kept prefix lengths must be positive and decrease strictly, got {list(keep)}",
            Where(field="keep"),
        )
    problems.raise_if_any("cannot build the NIR hierarchy")
    leaves = sorted(norm)
    return _masked(leaves, [norm[v] for v in leaves], keep, 1, "*")


# ------------------------------------------------------------------------------------------
# ordered categories
# ------------------------------------------------------------------------------------------


def _group_label(members: list[str]) -> str:
    return members[0] if len(members) == 1 else f"[{members[0]}, {members[-1]}]"


def ordered_rows(
    order: Sequence[str],
    group_sizes: Sequence[int],
    values: Iterable[str | None] | None = None,
    locate: Locate | None = None,
) -> list[list[str]]:
    """Ordered categories grouped by consecutive runs: level 1 groups ``group_sizes[0]``
    categories, level 2 groups ``group_sizes[1]`` level-1 groups, and so on, then ``*``.

    Every category of ``order`` gets a row (the domain may be larger than the data); the data
    ``values``, when given, must all be in ``order``.
    """
    locate = locate or _default_locate
    problems = _Problems()
    if not order:
        raise InputError("no categories given for the ordered hierarchy", Where(field="order"))
    seen: set[str] = set()
    for c in order:
        if c in seen:
            problems.add(f"category {c!r} listed twice in the order", Where(field="order"))
        seen.add(c)
        if any(ch in c for ch in FORBIDDEN):
            problems.add(
                f"category {c!r} contains a character the hierarchy format cannot store",
                Where(field="order"),
            )
    for g in group_sizes:
        if not isinstance(g, int) or isinstance(g, bool) or g < 2:
            problems.add(
                f"each group size must be an integer of at least 2, got {g!r}",
                Where(field="groups"),
            )
    problems.raise_if_any("bad ordered hierarchy parameters")
    if values is not None:
        unknown = _Problems()
        first = distinct_values(values, locate, "ordered", unknown)
        for v, i in first.items():
            if v not in seen:
                unknown.add(f"value {v!r} is not among the ordered categories", locate(i))
        unknown.raise_if_any("cannot build the ordered hierarchy")
    # groups[level][j] = list of leaves in group j of that level
    groups: list[list[list[str]]] = [[[c] for c in order]]
    for size in group_sizes:
        prev = groups[-1]
        groups.append(
            [[leaf for g in prev[j : j + size] for leaf in g] for j in range(0, len(prev), size)]
        )
    label_of: list[dict[str, str]] = []
    for level in groups[1:]:
        m = {}
        for g in level:
            lab = _group_label(g)
            for leaf in g:
                m[leaf] = lab
        label_of.append(m)
    return [[c, *(m[c] for m in label_of), TOP] for c in order]


KINDS = ("interval", "date", "mask", "nir", "ordered", "flat")
