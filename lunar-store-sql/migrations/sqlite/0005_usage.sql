-- Resource accounting per execution (JSON of lunar_core::usage::Usage; NULL for rows
-- written before it, pending ones and those failed by housekeeping), and the
-- per-function CPU-time limit in ms (NULL: none).

ALTER TABLE executions ADD COLUMN usage_json TEXT;
ALTER TABLE functions ADD COLUMN limit_cpu_time_ms INTEGER;
