-- Per-function isolation mode: `warm` (the default) or `fresh`. Existing functions stay warm.

ALTER TABLE functions ADD COLUMN isolation TEXT NOT NULL DEFAULT 'warm';
