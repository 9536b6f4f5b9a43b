"""French by default, English on request: Babel catalogs read once, the choice kept in a cookie.

Templates and page code write their text in English inside ``_()``; ``locale/fr`` holds the French
of every such text (a test extracts them all and fails on one without a translation). The
catalogs are read from their ``.po`` source at first use, so no compiled ``.mo`` file is needed
in the source tree or a build step in the install.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("fr", "en")
DEFAULT = "fr"
COOKIE = "bulle_lang"
NAMES = {"fr": "Français", "en": "English"}


def po_path(lang: str) -> Any:
    return resources.files("bulle.web") / "locale" / lang / "LC_MESSAGES" / "messages.po"


@cache
def translations(lang: str) -> Any:
    """The gettext translations of ``lang`` (an unknown language: the default's)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    if lang not in LANGUAGES:
        lang = DEFAULT
    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def language_of(cookies: dict[str, str]) -> str:
    lang = cookies.get(COOKIE, DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def gettext(lang: str):
    return translations(lang).gettext


def format_datetime(value: Any, lang: str) -> str:
    """A timestamp as people of ``lang`` write it (UTC, to the minute)."""
    import datetime as dt

    from babel.dates import format_datetime as fmt

    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return fmt(value, "short", tzinfo=dt.UTC, locale=lang) + " UTC"


def format_number(value: Any, lang: str) -> str:
    from babel.numbers import format_decimal

    if value is None:
        return ""
    return format_decimal(value, locale=lang)
