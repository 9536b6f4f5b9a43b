"""Reading and writing French dates, so that shifted dates keep the writing of the original.

Why: a de-identified document must read like the original ("le 27 mars 2025" becomes "le 3 mai
2025", "14/03/1958" becomes "02/05/1958"); a date that cannot be read is replaced by a marker
rather than left in clear.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import regex

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
MONTH_KEYS = {
    "janvier": 1,
    "janv": 1,
    "février": 2,
    "fevrier": 2,
    "févr": 2,
    "fevr": 2,
    "fév": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "décembre": 12,
    "decembre": 12,
    "déc": 12,
    "dec": 12,
}
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]

NUMERIC = regex.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})$")
ISO = regex.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
WRITTEN = regex.compile(
    r"^(?:(?P<wd>[a-zé]+\.?)\s+)?(?P<d>1er|1\s?er|premier|\d{1,2})\s+"
    r"(?P<m>[a-zéû]+)\.?(?:\s+(?P<y>\d{4}))?$",
    regex.I,
)
MONTH_YEAR = regex.compile(r"^(?P<m>[a-zéû]+)\.?\s+(?P<y>\d{4})$", regex.I)
YEAR = regex.compile(r"^(\d{4})$")
MONTH_SLASH_YEAR = regex.compile(r"^(\d{2})/(\d{2}|\d{4})$")
REFERENCE_YEAR = 2001  # for dates written without a year: not a leap year


@dataclass(frozen=True)
class Parsed:
    date: dt.date
    fmt: str  # how to write it back
    parts: tuple


def parse(text: str) -> Parsed | None:
    s = text.strip()
    if m := NUMERIC.match(s):
        d, sep, mo, y = m.groups()
        year = int(y) if len(y) == 4 else (2000 + int(y) if int(y) < 50 else 1900 + int(y))
        date = _date(year, int(mo), int(d))
        return Parsed(date, "numeric", (sep, len(y), len(d) == 2, len(mo) == 2)) if date else None
    if m := ISO.match(s):
        date = _date(int(m[1]), int(m[2]), int(m[3]))
        return Parsed(date, "iso", ()) if date else None
    if m := WRITTEN.match(s):
        month = MONTH_KEYS.get(m["m"].lower().rstrip("."))
        day = 1 if m["d"].lower().replace(" ", "") in ("1er", "premier") else int(m["d"])
        year = int(m["y"]) if m["y"] else REFERENCE_YEAR
        date = _date(year, month, day) if month else None
        if date is None:
            return None
        return Parsed(date, "written", (bool(m["wd"]), bool(m["y"]), s.isupper()))
    if m := MONTH_YEAR.match(s):
        month = MONTH_KEYS.get(m["m"].lower().rstrip("."))
        return (
            Parsed(dt.date(int(m["y"]), month, 15), "month_year", (s.isupper(),)) if month else None
        )
    if m := YEAR.match(s):
        return Parsed(dt.date(int(m[1]), 7, 1), "year", ())
    if m := MONTH_SLASH_YEAR.match(s):
        month, y = int(m[1]), m[2]
        year = int(y) if len(y) == 4 else 2000 + int(y)
        return (
            Parsed(dt.date(year, month, 15), "month_slash_year", (len(y),))
            if 1 <= month <= 12
            else None
        )
    return None


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def render(p: Parsed, date: dt.date) -> str:
    if p.fmt == "numeric":
        sep, ylen, dpad, mpad = p.parts
        y = f"{date.year:04d}" if ylen == 4 else f"{date.year % 100:02d}"
        d = f"{date.day:02d}" if dpad else str(date.day)
        m = f"{date.month:02d}" if mpad else str(date.month)
        return f"{d}{sep}{m}{sep}{y}"
    if p.fmt == "iso":
        return date.isoformat()
    if p.fmt == "written":
        weekday, with_year, upper = p.parts
        day = "1er" if date.day == 1 else str(date.day)
        out = f"{day} {MONTHS[date.month - 1]}"
        if with_year:
            out += f" {date.year}"
        if weekday:
            out = f"{DAYS[date.weekday()]} {out}"
        return out.upper() if upper else out
    if p.fmt == "month_year":
        out = f"{MONTHS[date.month - 1]} {date.year}"
        return out.upper() if p.parts[0] else out
    if p.fmt == "year":
        return str(date.year)
    if p.fmt == "month_slash_year":
        return f"{date.month:02d}/{date.year if p.parts[0] == 4 else date.year % 100:02d}"
    raise ValueError(p.fmt)


def shift(text: str, days: int) -> str | None:
    """The date ``text`` moved by ``days``, written the same way; None if it cannot be read."""
    p = parse(text)
    if p is None:
        return None
    return render(p, p.date + dt.timedelta(days=days))
