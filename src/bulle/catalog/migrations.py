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
    # accounts: people who sign in, their roles, API tokens and browser sessions (only hashes of
    #    those), and recent sign-in attempts with lockouts (rate limiting per account and address;
    #    the name typed is kept hashed: people sometimes type their password into that field)
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        password_hash TEXT,
        disabled INTEGER NOT NULL DEFAULT 0,
        totp_ref TEXT,
        totp_last_step INTEGER,
        oidc_issuer TEXT,
        oidc_subject TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        password_changed_at TEXT,
        disabled_at TEXT,
        UNIQUE (oidc_issuer, oidc_subject)
    );
    CREATE TABLE account_roles (
        account TEXT NOT NULL REFERENCES accounts(name),
        role TEXT NOT NULL CHECK (role IN ('custodian', 'analyst', 'checker', 'dpo')),
        PRIMARY KEY (account, role)
    ) WITHOUT ROWID;
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts(name),
        token_sha256 TEXT NOT NULL,
        roles_json TEXT NOT NULL,
        project TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT,
        last_used_at TEXT
    );
    CREATE INDEX api_tokens_account ON api_tokens(account);
    CREATE TABLE sessions (
        id_sha256 TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts(name),
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX sessions_account ON sessions(account);
    CREATE TABLE login_attempts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        username_sha256 TEXT NOT NULL,
        address TEXT,
        at TEXT NOT NULL,
        outcome TEXT NOT NULL
    );
    CREATE INDEX login_attempts_username ON login_attempts(username_sha256, at);
    CREATE INDEX login_attempts_address ON login_attempts(address, at);
    CREATE TABLE login_lockouts (
        username_sha256 TEXT PRIMARY KEY,
        locked_at TEXT NOT NULL,
        until TEXT NOT NULL
    );
    """,
    # tasks: the server's background operations (import, anonymize, erasure, export), their
    #    progress and result; a server that stops mid-task marks it `interrupted` on start-up
    """
    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('queued', 'running', 'done', 'failed', 'interrupted')),
        owner TEXT NOT NULL,
        role TEXT NOT NULL,
        phase TEXT NOT NULL DEFAULT '',
        rows_done INTEGER,
        result_json TEXT,
        error_json TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        server_pid INTEGER NOT NULL
    );
    CREATE INDEX tasks_state ON tasks(state);
    """,
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        analyst TEXT NOT NULL,
        language TEXT NOT NULL,
        dummy INTEGER NOT NULL,
        code_sha256 TEXT NOT NULL,
        entry TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        versions_json TEXT NOT NULL DEFAULT '[]',
        consent_json TEXT NOT NULL DEFAULT '{}',
        usage_json TEXT NOT NULL DEFAULT '{}',
        submitted_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX jobs_by_project ON jobs(project);
    CREATE TABLE job_outputs (
        job TEXT NOT NULL REFERENCES jobs(id),
        name TEXT NOT NULL,
        revision INTEGER NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        checks_json TEXT NOT NULL,
        files_json TEXT NOT NULL,
        mitigation TEXT NOT NULL DEFAULT '',
        exception_reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        PRIMARY KEY (job, name, revision)
    ) WITHOUT ROWID;
    CREATE TABLE output_reviews (
        job TEXT NOT NULL,
        name TEXT NOT NULL,
        revision INTEGER NOT NULL,
        checker TEXT NOT NULL,
        decision TEXT NOT NULL,
        comment TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (job, name, revision, checker)
    ) WITHOUT ROWID;
    CREATE TABLE output_releases (
        job TEXT NOT NULL,
        name TEXT NOT NULL,
        revision INTEGER NOT NULL,
        released_at TEXT NOT NULL,
        record_json TEXT NOT NULL,
        PRIMARY KEY (job, name)
    ) WITHOUT ROWID;
    """,
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
    """
    CREATE TABLE register_details (
        kind TEXT NOT NULL CHECK (kind IN ('purpose', 'dataset', 'project')),
        name TEXT NOT NULL,
        field TEXT NOT NULL
            CHECK (field IN ('retention', 'recipients', 'people', 'source', 'outcomes')),
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (kind, name, field)
    );
    """,
]
