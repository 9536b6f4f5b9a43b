"""The one registry of French recognizers.

Every recognizer lives in its own module of ``bulle.text.recognizers`` and registers a factory
under a name with ``@register``; built-ins are loaded exactly like a plug-in is (a plug-in
declares an entry point of group ``bulle.recognizers``), so adding a recognizer never touches
the analyzer. A plug-in recognizer runs by default, like the built-ins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bulle.errors import InputError
from bulle.registry import Registry

Factory = Callable[[Any], Any]  # DetectorConfig -> EntityRecognizer | list[EntityRecognizer]

BUILTIN_MODULES: tuple[str, ...] = (
    "spacy_ner",
    "email",
    "url",
    "ip_address",
    "iban",
    "credit_card",
    "phone",
    "nir",
    "siren",
    "siret",
    "license_plate",
    "record_id",
    "date",
    "person_title",
    "speaker_label",
    "handle",
    "first_name",
    "surname",
    "public_figure",
    "org_patterns",
    "org_gazetteer",
    "loc_address",
    "loc_gazetteer",
)

RECOGNIZERS: Registry[Factory] = Registry(
    "recognizers", "recognizer", tuple(f"bulle.text.recognizers.{m}" for m in BUILTIN_MODULES)
)


def register(name: str) -> Callable[[Factory], Factory]:
    """Register a recognizer factory under ``name`` (one per module)."""
    return RECOGNIZERS.register(name)


def load_builtins() -> None:
    RECOGNIZERS.load()


def names() -> list[str]:
    return RECOGNIZERS.names()


def build(config: Any) -> list[Any]:
    """Instantiate the recognizers the configuration asks for, in registry order."""
    known = RECOGNIZERS.names()
    wanted = list(known) if config.recognizers is None else list(config.recognizers)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise InputError(f"unknown recognizer(s): {', '.join(unknown)}; known: {', '.join(known)}")
    out: list[Any] = []
    for name in wanted:
        made = RECOGNIZERS.get(name)(config)
        out.extend(made if isinstance(made, list) else [made])
    return out
