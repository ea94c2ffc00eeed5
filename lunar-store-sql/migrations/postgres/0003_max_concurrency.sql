-- Per-function bound on executions in flight at once (NULL: none).

ALTER TABLE functions ADD COLUMN limit_max_concurrency BIGINT;
