-- Lunar schema for PostgreSQL (SPEC.md §3): the same tables and column names as the SQLite
-- schema, so both dialects share their statements and row decoders. Timestamps are Unix
-- seconds in BIGINT; every integer is BIGINT (Rust `i64`); booleans are BOOLEAN; text is TEXT.
-- Foreign keys cascade, so deleting a function or an execution removes every dependent row.
-- Tables are created unqualified: they land in the first schema of the `search_path`.

CREATE TABLE functions (
    id                            TEXT PRIMARY KEY,
    name                          TEXT NOT NULL,
    description                   TEXT,
    disabled                      BOOLEAN NOT NULL DEFAULT FALSE,
    retention_days                BIGINT,
    cron_schedule                 TEXT,
    cron_status                   TEXT,
    save_response                 BOOLEAN NOT NULL DEFAULT FALSE,
    limit_timeout_seconds         BIGINT,
    limit_memory_mb               BIGINT,
    limit_max_request_body_bytes  BIGINT,
    limit_max_response_body_bytes BIGINT,
    limit_max_log_entries         BIGINT,
    created_at                    BIGINT NOT NULL,
    updated_at                    BIGINT NOT NULL
);
CREATE INDEX functions_created ON functions (created_at, id);
-- The scheduler's query (`functions_with_active_cron`) reads only these rows.
CREATE INDEX functions_active_cron ON functions (created_at, id) WHERE cron_status = 'active';

CREATE TABLE function_versions (
    id          TEXT PRIMARY KEY,
    function_id TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL CHECK (version >= 1),
    code        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT,
    is_active   BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (function_id, version)
);
-- At most one active version per function, whichever node writes.
CREATE UNIQUE INDEX function_versions_one_active
    ON function_versions (function_id) WHERE is_active;

CREATE TABLE executions (
    id                  TEXT PRIMARY KEY,
    function_id         TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    function_version_id TEXT NOT NULL REFERENCES function_versions (id) ON DELETE CASCADE,
    status              TEXT NOT NULL,
    duration_ms         BIGINT,
    error_message       TEXT,
    event_json          TEXT,
    response_json       TEXT,
    trigger_type        TEXT NOT NULL DEFAULT 'http',
    created_at          BIGINT NOT NULL
);
CREATE INDEX executions_function_created ON executions (function_id, created_at, id);
CREATE INDEX executions_version ON executions (function_version_id);
CREATE INDEX executions_pending ON executions (created_at) WHERE status = 'pending';

-- `seq` comes from an identity sequence: it keeps insertion order within a batch (one
-- statement inserts its rows in order) and across batches of one execution.
CREATE TABLE logs (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    level        BIGINT NOT NULL,
    message      TEXT NOT NULL,
    created_at   BIGINT NOT NULL
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
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    execution_id  TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    request_json  TEXT NOT NULL,
    response_json TEXT,
    status        TEXT NOT NULL,
    error_message TEXT,
    input_tokens  BIGINT,
    output_tokens BIGINT,
    duration_ms   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX ai_requests_execution ON ai_requests (execution_id, created_at, seq);

-- `to_addresses` holds the recipient list as a JSON array of strings (TEXT, as in SQLite).
CREATE TABLE email_requests (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    duration_ms   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX email_requests_execution ON email_requests (execution_id, created_at, seq);

-- The primary key makes a claim exactly-once across nodes: `INSERT ... ON CONFLICT DO
-- NOTHING` inserts for one claimant only.
CREATE TABLE schedule_claims (
    job          TEXT NOT NULL,
    scheduled_at BIGINT NOT NULL,
    node         TEXT NOT NULL,
    claimed_at   BIGINT NOT NULL,
    PRIMARY KEY (job, scheduled_at)
);
CREATE INDEX schedule_claims_claimed ON schedule_claims (claimed_at);
