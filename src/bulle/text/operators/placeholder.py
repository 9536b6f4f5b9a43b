"""placeholder: typed, numbered markers, "<PERSON_1>", "<LOCATION_2>", consistent in a document.

The same entity (same label and text) keeps its number throughout the document, and a surname
alone takes the number of the full name it belongs to, so a reader can still follow who did
what.
"""

from __future__ import annotations

from bulle.text.entities import Entity
from bulle.text.gazetteers import fold
from bulle.text.operators import register_operator
from bulle.text.operators.base import DocumentContext, Operator


@register_operator("placeholder")
class Placeholder(Operator):
    def replacement(self, ctx: DocumentContext, e: Entity) -> str:
        numbers: dict[str, dict[str, int]] = ctx.memo.setdefault("numbers", {})
        per_label = numbers.setdefault(e.label, {})
        key = _person_key(ctx, e) if e.label == "PERSON" else fold(ctx.surface(e))
        if key not in per_label:
            per_label[key] = len(per_label) + 1
        return f"<{e.label}_{per_label[key]}>"


def _person_key(ctx: DocumentContext, e: Entity) -> str:
    """A name alone maps to the full name of the document that contains it, if exactly one does."""
    words = fold(ctx.surface(e)).split()
    if len(words) != 1:
        return " ".join(words)
    fulls = {
        fold(ctx.surface(o))
        for o in ctx.entities
        if o.label == "PERSON"
        and len(ctx.surface(o).split()) > 1
        and words[0] in fold(ctx.surface(o)).split()
    }
    return fulls.pop() if len(fulls) == 1 else words[0]
