"""Refusals and failures as pages: the message the service gave, the field it names, in the
user's language, and a failed sign-in as the sign-in form again."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from bulle.web import i18n
from bulle.web.render import render

TITLES = {
    400: "The request could not be used",
    401: "Sign-in needed",
    403: "Refused",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    422: "The request could not be used",
    429: "Too many attempts",
    503: "Too slow",
}


def _cookies(scope: dict) -> dict[str, str]:
    raw = dict(scope.get("headers", [])).get(b"cookie", b"").decode("latin-1")
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header: the page is shown in the default language
        return {}
    return {k: m.value for k, m in jar.items()}


def base_values(scope: dict) -> dict[str, Any]:
    lang = i18n.language_of(_cookies(scope))
    return {
        "_": i18n.gettext(lang),
        "lang": lang,
        "languages": i18n.NAMES,
        "path": scope["path"],
        "query": scope.get("query_string", b"").decode("latin-1"),
        "user": None,
        "roles": [],
        "csrf": "",
        "menu": [],
        "dt": lambda v: i18n.format_datetime(v, lang),
        "num": lambda v: i18n.format_number(v, lang),
    }


def error_page(scope: dict, status: int, error: dict[str, Any]) -> str:
    values = base_values(scope)
    if scope["path"] == "/login":
        return render("login.html", {**values, "message": error.get("message"), "next": ""})
    return render(
        "error.html",
        {
            **values,
            "status": status,
            "title": TITLES.get(status, "Something went wrong"),
            "error": error,
        },
    )


def login_page(scope: dict, next_path: str | None = None, message: str | None = None) -> str:
    return render(
        "login.html", {**base_values(scope), "message": message, "next": safe_next(next_path)}
    )


def safe_next(target: str | None) -> str:
    """Only a path of this server (never another site: no open redirect after sign-in)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
