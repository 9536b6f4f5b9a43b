"""redact: every entity becomes the same marker, "[…]", whatever its kind.

For texts released with the least information: neither the kind of data nor the number of
different people can be read back.
"""

from __future__ import annotations

from bulle.text.operators import register_operator
from bulle.text.operators.base import Operator

MARKER = "[…]"


@register_operator("redact")
class Redact(Operator):
    def presidio_operator(self, label: str):
        from presidio_anonymizer.entities import OperatorConfig

        return OperatorConfig("replace", {"new_value": MARKER})
