"""IBAN: Presidio's IBAN recognizer (country formats and mod-97 check), French context words."""

from __future__ import annotations

from bulle.text.registry import register

CONTEXT = ["iban", "rib", "compte", "bancaire", "banque", "virement", "prélèvement", "bic"]


@register("iban")
def build(config):
    from presidio_analyzer.predefined_recognizers import IbanRecognizer

    return IbanRecognizer(
        supported_language="fr", supported_entity="IBAN", context=CONTEXT, name="bulle_iban"
    )
