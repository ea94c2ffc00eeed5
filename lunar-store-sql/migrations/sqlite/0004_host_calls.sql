-- Host-capability calls (`await host.<name>(args)`) of each execution.
CREATE TABLE host_calls (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    execution_id  TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    capability    TEXT NOT NULL,
    status        TEXT NOT NULL,
    error_message TEXT,
    duration_ms   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX host_calls_execution ON host_calls (execution_id, created_at, seq);
