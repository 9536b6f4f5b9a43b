"""The one registry of French recognizers.

Every recognizer lives in its own module of ``bulle.text.recognizers`` and registers a factory
under a name with ``@register``; built-ins are loaded exactly like a plug-in would be (by
importing their module), so adding a recognizer never touches the analyzer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from bulle.errors import InputError

Factory = Callable[[Any], Any]  # DetectorConfig -> EntityRecognizer | list[EntityRecognizer]

BUILTIN_MODULES: tuple[str, ...] = (
    "spacy_ner", "email", "url", "ip_address", "iban", "credit_card", "phone", "nir", "siren",
    "siret", "license_plate", "record_id", "date", "person_title", "speaker_label", "handle",
    "first_name", "surname", "public_figure", "org_patterns", "org_gazetteer", "loc_address",
    "loc_gazetteer",
)

_FACTORIES: dict[str, Factory] = {}
_loaded = False


def register(name: str) -> Callable[[Factory], Factory]:
    """Register a recognizer factory under ``name`` (one per module)."""

    def deco(factory: Factory) -> Factory:
        if name in _FACTORIES and _FACTORIES[name] is not factory:
            raise ValueError(f"recognizer {name!r} registered twice")
        _FACTORIES[name] = factory
        return factory

    return deco


def load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    for module in BUILTIN_MODULES:
        importlib.import_module(f"bulle.text.recognizers.{module}")
    _loaded = True


def names() -> list[str]:
    load_builtins()
    return list(_FACTORIES)


def build(config: Any) -> list[Any]:
    """Instantiate the recognizers the configuration asks for, in registry order."""
    load_builtins()
    wanted = list(_FACTORIES) if config.recognizers is None else list(config.recognizers)
    unknown = [n for n in wanted if n not in _FACTORIES]
    if unknown:
        raise InputError(f"unknown recognizer(s): {', '.join(unknown)}; "
                         f"known: {', '.join(_FACTORIES)}")
    out: list[Any] = []
    for name in wanted:
        made = _FACTORIES[name](config)
        out.extend(made if isinstance(made, list) else [made])
    return out
