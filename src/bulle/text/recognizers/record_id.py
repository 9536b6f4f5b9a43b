"""RECORD_ID: record numbers (patient IPP, stay NDA, case RG, file numbers), by pattern.

Each institution numbers its records its own way, so the patterns come from the configuration
(``DetectorConfig.record_patterns``); the defaults cover common French hospital and court forms.
The span is the group named ``id``: the keyword that announces the number stays readable.
"""

from __future__ import annotations

import regex

from bulle.errors import InputError
from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

CONTEXT = ["dossier", "ipp", "nda", "patient", "séjour", "référence", "rg", "numéro", "affaire"]


@register("record_id")
def build(config):
    rules = []
    for i, pattern in enumerate(config.record_patterns):
        try:
            rx = regex.compile(pattern)
        except regex.error as exc:
            raise InputError(
                f"record pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from None
        if "id" not in rx.groupindex:
            raise InputError(
                f"record pattern {pattern!r} has no group named 'id' (the span to keep)"
            )
        rules.append(Rule(f"record_{i}", pattern, 0.7))
    if not rules:
        return []
    return RegexRecognizer("bulle_record_id", "RECORD_ID", rules, CONTEXT, check=_not_a_date)


def _not_a_date(span: str) -> bool | None:
    """ "Date de l'entretien : 12/06/2024" is a date, not a record number."""
    from bulle.text.dates import parse

    return False if parse(span) is not None and not span.isdigit() else None
