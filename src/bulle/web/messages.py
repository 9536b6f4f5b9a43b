"""Every text the UI translates: the ``_()`` calls of the templates, and the values pages pass to
``_()`` (roles, legal bases, version kinds, task states...), which an extractor cannot see.

``python -m bulle.web.messages`` refreshes the catalogs (new texts added untranslated, the French
kept); a test fails while a text has no French.
"""

from __future__ import annotations

import sys
from importlib import resources


def dynamic() -> set[str]:
    from bulle.catalog.register_store import FIELDS
    from bulle.disclosure import mitigations
    from bulle.disclosure.evidence import Kind
    from bulle.domain.actor import Role
    from bulle.domain.datasets import ColumnRole, VersionKind
    from bulle.domain.jobs import JobState, OutputStatus
    from bulle.domain.projects import RowAccess
    from bulle.domain.purposes import LegalBasis
    from bulle.services.register import CATEGORY_OF_ROLE, SECURITY_MEASURES
    from bulle.web.errors import TITLES
    from bulle.web.pages_anonymize import TREATMENTS
    from bulle.web.render import LIVE, MENUS

    out = {label for items in MENUS.values() for _, label in items}
    out |= set(TITLES.values()) | {"Something went wrong"}
    out |= {r.value for r in Role} | {r.value for r in ColumnRole} | {k.value for k in VersionKind}
    out |= {b.value for b in LegalBasis} | {f"row access: {r.value}" for r in RowAccess}
    out |= set(CATEGORY_OF_ROLE.values()) | set(SECURITY_MEASURES) | set(TREATMENTS)
    out |= {"queued", "running", "done", "failed", "interrupted", "starting"}  # task states
    out |= {"import", "anonymize", "erasure", "export", "importing", "searching", "erasing"}
    out |= {"active", "expired", "revoked", "ready", "needs_recompute", "given", "withdrawn"}
    out |= {"objected", "objection", "consent"}
    out |= {f"register: {f}" for fields in FIELDS.values() for f in fields}
    out |= set(LIVE) | {s.value for s in JobState} | {s.value for s in OutputStatus}
    out |= {k.value for k in Kind} | {"approve", "reject", "job"} | set(mitigations.METHODS)
    out |= {f"outcome: {o}" for o in ("pass", "fail", "review")}
    return out


def extracted() -> set[str]:
    from jinja2.ext import babel_extract

    out = set()
    folder = resources.files("bulle.web") / "templates"
    for item in folder.iterdir():
        if item.name.endswith(".html"):
            with item.open("rb") as f:
                for _line, _func, message, _comments in babel_extract(f, ("_",), [], {}):
                    if isinstance(message, str):
                        out.add(message)
    return out


def all_messages() -> set[str]:
    return extracted() | dynamic()


def refresh() -> None:
    """Rewrite each catalog with every message, keeping the translations it already holds."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from bulle.web.i18n import LANGUAGES, po_path

    for lang in LANGUAGES:
        path = po_path(lang)
        old = {}
        if path.is_file():
            with path.open("rb") as f:
                old = {m.id: m.string for m in read_po(f, locale=lang) if m.id}
        catalog = Catalog(locale=lang, project="Bulle", charset="utf-8")
        for message in sorted(all_messages()):
            catalog.add(message, old.get(message, "") if lang != "en" else message)
        with open(str(path), "wb") as f:
            write_po(f, catalog, width=100, omit_header=False, sort_output=True)


if __name__ == "__main__":
    refresh()
    sys.exit(0)
