-- Lunar schema for SQLite (SPEC.md §3). Timestamps are Unix seconds; booleans are 0/1.
-- Foreign keys cascade, so deleting a function or an execution removes every dependent row.

CREATE TABLE functions (
    id                            TEXT PRIMARY KEY NOT NULL,
    name                          TEXT NOT NULL,
    description                   TEXT,
    disabled                      BOOLEAN NOT NULL DEFAULT FALSE,
    retention_days                INTEGER,
    cron_schedule                 TEXT,
    cron_status                   TEXT,
    save_response                 BOOLEAN NOT NULL DEFAULT FALSE,
    limit_timeout_seconds         INTEGER,
    limit_memory_mb               INTEGER,
    limit_max_request_body_bytes  INTEGER,
    limit_max_response_body_bytes INTEGER,
    limit_max_log_entries         INTEGER,
    created_at                    INTEGER NOT NULL,
    updated_at                    INTEGER NOT NULL
);
CREATE INDEX functions_created ON functions (created_at, id);

CREATE TABLE function_versions (
    id          TEXT PRIMARY KEY NOT NULL,
    function_id TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    code        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT,
    is_active   BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (function_id, version)
);
-- At most one active version per function.
CREATE UNIQUE INDEX function_versions_one_active
    ON function_versions (function_id) WHERE is_active = TRUE;

CREATE TABLE executions (
    id                  TEXT PRIMARY KEY NOT NULL,
    function_id         TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    function_version_id TEXT NOT NULL REFERENCES function_versions (id) ON DELETE CASCADE,
    status              TEXT NOT NULL,
    duration_ms         INTEGER,
    error_message       TEXT,
    event_json          TEXT,
    response_json       TEXT,
    trigger_type        TEXT NOT NULL DEFAULT 'http',
    created_at          INTEGER NOT NULL
);
CREATE INDEX executions_function_created ON executions (function_id, created_at, id);
CREATE INDEX executions_version ON executions (function_version_id);
CREATE INDEX executions_pending ON executions (created_at) WHERE status = 'pending';

-- `seq` is the rowid: always above every existing row's, so it keeps insertion order.
CREATE TABLE logs (
    seq          INTEGER PRIMARY KEY,
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    level        INTEGER NOT NULL,
    message      TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX logs_execution ON logs (execution_id, created_at, seq);

CREATE TABLE kv (
    function_id TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (function_id, key)
);

CREATE TABLE env_vars (
    function_id TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (function_id, key)
);

CREATE TABLE ai_requests (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    execution_id  TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    request_json  TEXT NOT NULL,
    response_json TEXT,
    status        TEXT NOT NULL,
    error_message TEXT,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    duration_ms   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX ai_requests_execution ON ai_requests (execution_id, created_at, seq);

-- `to_addresses` holds the recipient list as a JSON array of strings.
CREATE TABLE email_requests (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    execution_id  TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    from_address  TEXT NOT NULL,
    to_addresses  TEXT NOT NULL,
    subject       TEXT NOT NULL,
    has_text      BOOLEAN NOT NULL,
    has_html      BOOLEAN NOT NULL,
    request_json  TEXT NOT NULL,
    response_json TEXT,
    status        TEXT NOT NULL,
    error_message TEXT,
    email_id      TEXT,
    duration_ms   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX email_requests_execution ON email_requests (execution_id, created_at, seq);

CREATE TABLE schedule_claims (
    job          TEXT NOT NULL,
    scheduled_at INTEGER NOT NULL,
    node         TEXT NOT NULL,
    claimed_at   INTEGER NOT NULL,
    PRIMARY KEY (job, scheduled_at)
);
CREATE INDEX schedule_claims_claimed ON schedule_claims (claimed_at);
