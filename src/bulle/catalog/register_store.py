"""Register details in the catalog: per purpose, dataset or project, the fields the record of
processing activities and the public register need (``register_details``, one row per field)."""

from __future__ import annotations

from collections.abc import Mapping

from bulle.catalog.store import Catalog

FIELDS = {
    "purpose": ("retention", "recipients", "people"),
    "dataset": ("source", "retention"),
    "project": ("outcomes", "recipients"),
}


class RegisterStore:
    def __init__(self, catalog: Catalog):
        self.con = catalog.con

    def details(self, kind: str) -> dict[str, dict[str, str]]:
        """name → {field: value} for every ``kind`` object with details."""
        out: dict[str, dict[str, str]] = {}
        for name, field, value in self.con.execute(
            "SELECT name, field, value FROM register_details WHERE kind=? ORDER BY name, field",
            (kind,),
        ):
            out.setdefault(name, {})[field] = value
        return out

    def put(self, kind: str, name: str, fields: Mapping[str, str], at: str, by: str) -> None:
        """Set the fields given (an empty value removes the field)."""
        for field, value in fields.items():
            if value:
                self.con.execute(
                    "INSERT INTO register_details(kind, name, field, value, updated_at, updated_by) "
                    "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(kind, name, field) DO UPDATE SET "
                    "value=excluded.value, updated_at=excluded.updated_at, "
                    "updated_by=excluded.updated_by",
                    (kind, name, field, value, at, by),
                )
            else:
                self.con.execute(
                    "DELETE FROM register_details WHERE kind=? AND name=? AND field=?",
                    (kind, name, field),
                )
