"""shift-dates: every date moves by the same number of days for one person, so intervals hold.

The offset (1 to 365 days, forward or back) comes from the key and the person the document is
about (given, or the most mentioned surname): the same patient's documents shift alike across a
corpus, so the time between admission and discharge, or between two stays, is kept while the
calendar dates are not. A date that cannot be read is replaced by "<DATE>". Other entities are
left as they are: combine with another operator to remove them.
"""

from __future__ import annotations

from bulle.text.dates import shift
from bulle.text.entities import Entity
from bulle.text.operators import register_operator
from bulle.text.operators.base import DocumentContext, Operator

MAX_SHIFT_DAYS = 365


def offset_days(ctx: DocumentContext) -> int:
    if "offset" not in ctx.memo:
        n = ctx.keyed.number("date-offset", ctx.person_subject())
        days = n % MAX_SHIFT_DAYS + 1
        ctx.memo["offset"] = days if (n >> 20) % 2 else -days
    return ctx.memo["offset"]


def shifted(ctx: DocumentContext, e: Entity) -> str:
    out = shift(ctx.surface(e), offset_days(ctx))
    return out if out is not None else "<DATE>"


@register_operator("shift-dates")
class ShiftDates(Operator):
    writes_words = True

    labels = frozenset({"DATE"})

    def replacement(self, ctx: DocumentContext, e: Entity) -> str:
        return shifted(ctx, e)
