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
    # 2: governance: purposes, subject choices (consents, withdrawals, objections), projects,
    #    the purpose each dataset was collected for, the subject index, project reads, erasures
    """
    CREATE TABLE purposes (
        name TEXT PRIMARY KEY,
        doc_json TEXT NOT NULL,
        declared_at TEXT NOT NULL,
        declared_by TEXT NOT NULL
    );
    CREATE TABLE subject_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        subject_id TEXT NOT NULL,
        purpose TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('given', 'withdrawn', 'objected')),
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL
    );
    CREATE INDEX subject_events_subject ON subject_events(subject_id, purpose);
    CREATE TABLE projects (
        name TEXT PRIMARY KEY,
        doc_json TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE dataset_purposes (
        dataset TEXT PRIMARY KEY,
        purpose TEXT NOT NULL REFERENCES purposes(name)
    );
    CREATE TABLE subject_index (
        subject_id TEXT NOT NULL,
        dataset TEXT NOT NULL,
        number INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        PRIMARY KEY (subject_id, dataset, number)
    ) WITHOUT ROWID;
    CREATE INDEX subject_index_version ON subject_index(dataset, number);
    CREATE TABLE project_reads (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project TEXT NOT NULL,
        purpose TEXT NOT NULL,
        dataset TEXT NOT NULL,
        number INTEGER NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL,
        rows INTEGER NOT NULL,
        filter_json TEXT NOT NULL
    );
    CREATE TABLE erasures (
        receipt_id TEXT PRIMARY KEY,
        subject_ref TEXT NOT NULL,
        at TEXT NOT NULL,
        by_json TEXT NOT NULL,
        summary_json TEXT NOT NULL
    );
    """,
    # 3: projects are bound to versions. A project stored before bindings read whatever version of
    #    its datasets was newest, raw imports included; each of its dataset uses is now bound to the
    #    kind of the dataset's newest pseudonymized or anonymized version (pseudonymize when it has
    #    neither), and its approval, if any, does not allow raw data.
    """
    UPDATE projects SET doc_json = json_set(doc_json, '$.datasets', (
        SELECT json_group_array(
            CASE WHEN json_type(u.value, '$.version') IN ('integer')
                      OR json_type(u.value, '$.kind') = 'text'
                 THEN json(u.value)
                 ELSE json_set(u.value, '$.version', json('null'), '$.kind', coalesce((
                     SELECT v.kind FROM versions v
                     WHERE v.dataset = json_extract(u.value, '$.dataset')
                       AND v.kind IN ('pseudonymize', 'anonymize')
                     ORDER BY v.number DESC LIMIT 1), 'pseudonymize'))
            END)
        FROM json_each(projects.doc_json, '$.datasets') AS u))
    WHERE json_valid(doc_json) AND json_type(doc_json, '$.datasets') = 'array';
    UPDATE projects SET doc_json = json_set(doc_json, '$.approval.allow_raw', json('false'))
    WHERE json_valid(doc_json) AND json_type(doc_json, '$.approval') = 'object';
    """,
    # 4: the erasure journal: an erasure is recorded here before it touches any file, with the
    #    versions it affects (reads of those are refused until it completes) and what locates
    #    the person (deleted, with the journal row, when the receipt is stored)
    """
    CREATE TABLE erasure_journal (
        receipt_id TEXT PRIMARY KEY,
        subject_ref TEXT NOT NULL,
        identifiers_json TEXT NOT NULL,
        plan_json TEXT NOT NULL,
        started_at TEXT NOT NULL,
        by_json TEXT NOT NULL,
        owner_pid INTEGER NOT NULL
    );
    CREATE TABLE erasure_pending_versions (
        receipt_id TEXT NOT NULL REFERENCES erasure_journal(receipt_id) ON DELETE CASCADE,
        dataset TEXT NOT NULL,
        number INTEGER NOT NULL,
        PRIMARY KEY (dataset, number, receipt_id)
    ) WITHOUT ROWID;
    """,
    # models: SISA models trained for a project, their versions, shards, the training manifest
    #    (which person, as a keyed reference, in which shard, from which version until which) and
    #    the signed unlearning receipts; audit reports stored with a version
    """
    CREATE TABLE models (
        name TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        purpose TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE model_versions (
        model TEXT NOT NULL REFERENCES models(name),
        version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'forgotten', 'superseded')),
        spec_json TEXT NOT NULL,
        lineage_json TEXT NOT NULL,
        model_hash TEXT NOT NULL,
        metrics_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        PRIMARY KEY (model, version)
    );
    CREATE TABLE model_shards (
        model TEXT NOT NULL,
        version INTEGER NOT NULL,
        shard INTEGER NOT NULL,
        hash TEXT NOT NULL,
        path TEXT NOT NULL,
        rows INTEGER NOT NULL,
        subjects INTEGER NOT NULL,
        PRIMARY KEY (model, version, shard),
        FOREIGN KEY (model, version) REFERENCES model_versions(model, version)
    );
    CREATE TABLE model_manifest (
        model TEXT NOT NULL,
        subject_key TEXT NOT NULL,
        shard INTEGER NOT NULL,
        from_version INTEGER NOT NULL,
        to_version INTEGER,
        PRIMARY KEY (model, subject_key, from_version)
    ) WITHOUT ROWID;
    CREATE INDEX model_manifest_live ON model_manifest(model, to_version, shard);
    CREATE TABLE unlearning_receipts (
        id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        old_version INTEGER NOT NULL,
        new_version INTEGER NOT NULL,
        body_json TEXT NOT NULL,
        signature TEXT NOT NULL,
        key_id TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE model_audits (
        model TEXT NOT NULL,
        version INTEGER NOT NULL,
        report_json TEXT NOT NULL,
        released INTEGER NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (model, version)
    );
    """,
]
