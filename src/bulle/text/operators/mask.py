"""mask: every character of an entity becomes '*', so the text keeps its length and layout.

Useful when offsets must stay valid (annotations made on the original) or when the shape of the
text matters to a reader; Presidio's own mask operator does the work.
"""

from __future__ import annotations

from bulle.text.operators import register_operator
from bulle.text.operators.base import Operator

MASK_CHAR = "*"


@register_operator("mask")
class Mask(Operator):
    def presidio_operator(self, label: str):
        from presidio_anonymizer.entities import OperatorConfig

        return OperatorConfig(
            "mask", {"masking_char": MASK_CHAR, "chars_to_mask": 10**9, "from_end": False}
        )
