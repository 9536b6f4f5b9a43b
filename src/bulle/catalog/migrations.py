"""Catalog schema migrations, applied in order; ``PRAGMA user_version`` records the last applied.

Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: datasets, versions, column roles, profiles, key/value metadata
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE datasets (
        name TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE versions (
        dataset TEXT NOT NULL REFERENCES datasets(name),
        number INTEGER NOT NULL,
        kind TEXT NOT NULL,
        path TEXT NOT NULL UNIQUE,
        content_hash TEXT NOT NULL,
        row_count INTEGER NOT NULL,
        schema_json TEXT NOT NULL,
        parents_json TEXT NOT NULL,
        operation_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        personal_data INTEGER NOT NULL DEFAULT 1,
        status TEXT NOT NULL DEFAULT 'active',
        tombstones_json TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (dataset, number)
    );
    CREATE TABLE column_roles (
        dataset TEXT NOT NULL,
        number INTEGER NOT NULL,
        column_name TEXT NOT NULL,
        role TEXT NOT NULL,
        reason TEXT NOT NULL,
        confirmed INTEGER NOT NULL DEFAULT 0,
        identifier_kind TEXT,
        PRIMARY KEY (dataset, number, column_name),
        FOREIGN KEY (dataset, number) REFERENCES versions(dataset, number)
    );
    CREATE TABLE profiles (
        dataset TEXT NOT NULL,
        number INTEGER NOT NULL,
        profile_json TEXT NOT NULL,
        PRIMARY KEY (dataset, number)
    );
    CREATE TABLE artefacts (
        id TEXT PRIMARY KEY,
        dataset TEXT NOT NULL,
        number INTEGER NOT NULL,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
]
