"""CREDIT_CARD: Presidio's payment-card recognizer (Luhn), with French context words."""

from __future__ import annotations

from bulle.text.registry import register

CONTEXT = [
    "carte",
    "bancaire",
    "cb",
    "crédit",
    "paiement",
    "visa",
    "mastercard",
    "amex",
    "numéro",
    "expiration",
    "cryptogramme",
]


@register("credit_card")
def build(config):
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

    return CreditCardRecognizer(
        supported_language="fr",
        supported_entity="CREDIT_CARD",
        context=CONTEXT,
        name="bulle_credit_card",
    )
