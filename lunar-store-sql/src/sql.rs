//! SQL text shared by the dialects: `$n` placeholders, `TRUE`/`FALSE` literals, `RETURNING`
//! and `ON CONFLICT`, all understood by SQLite (3.35+) and PostgreSQL alike. Statements that
//! differ per dialect (transaction start and row locks, bulk `IN` lists versus array binds)
//! live with their backend.

/// Columns of `functions`, in the order the row decoder reads them by name.
macro_rules! function_columns {
    () => {
        "id, name, description, disabled, retention_days, cron_schedule, cron_status, \
         save_response, limit_timeout_seconds, limit_memory_mb, limit_max_request_body_bytes, \
         limit_max_response_body_bytes, limit_max_log_entries, limit_max_concurrency, \
         limit_cpu_time_ms, created_at, updated_at, isolation"
    };
}

/// Columns of `function_versions`.
macro_rules! version_columns {
    () => {
        "id, function_id, version, code, created_at, created_by, is_active"
    };
}

pub(crate) const INSERT_FUNCTION: &str = "INSERT INTO functions \
    (id, name, description, disabled, cron_status, save_response, created_at, updated_at, \
    isolation) VALUES ($1, $2, $3, FALSE, 'paused', FALSE, $4, $4, $5)";

pub(crate) const GET_FUNCTION: &str = concat!(
    "SELECT ",
    function_columns!(),
    " FROM functions WHERE id = $1"
);

pub(crate) const COUNT_FUNCTIONS: &str = "SELECT COUNT(*) FROM functions";

/// Functions newest first, each joined with its active version (`v_*`, NULL when none).
pub(crate) const LIST_FUNCTIONS: &str = "SELECT f.id, f.name, f.description, f.disabled, \
    f.retention_days, f.cron_schedule, f.cron_status, f.save_response, \
    f.limit_timeout_seconds, f.limit_memory_mb, f.limit_max_request_body_bytes, \
    f.limit_max_response_body_bytes, f.limit_max_log_entries, f.limit_max_concurrency, \
    f.limit_cpu_time_ms, f.created_at, f.updated_at, \
    f.isolation, v.id AS v_id, v.version AS v_version, v.code AS v_code, \
    v.created_at AS v_created_at, v.created_by AS v_created_by \
    FROM functions f \
    LEFT JOIN function_versions v ON v.function_id = f.id AND v.is_active = TRUE \
    ORDER BY f.created_at DESC, f.id DESC LIMIT $1 OFFSET $2";

/// `$2..$8` are the optional scalar fields (NULL keeps the column); `$9` says whether the
/// limits are replaced, `$10..$14`, `$17` and `$18` are the new limits; `$15` is `updated_at`;
/// `$16` is the optional isolation mode (NULL keeps it).
pub(crate) const UPDATE_FUNCTION: &str = concat!(
    "UPDATE functions SET \
    name = COALESCE($2, name), \
    description = COALESCE($3, description), \
    disabled = COALESCE($4, disabled), \
    retention_days = COALESCE($5, retention_days), \
    cron_schedule = COALESCE($6, cron_schedule), \
    cron_status = COALESCE($7, cron_status), \
    save_response = COALESCE($8, save_response), \
    limit_timeout_seconds = CASE WHEN $9 THEN $10 ELSE limit_timeout_seconds END, \
    limit_memory_mb = CASE WHEN $9 THEN $11 ELSE limit_memory_mb END, \
    limit_max_request_body_bytes = CASE WHEN $9 THEN $12 ELSE limit_max_request_body_bytes END, \
    limit_max_response_body_bytes = CASE WHEN $9 THEN $13 ELSE limit_max_response_body_bytes END, \
    limit_max_log_entries = CASE WHEN $9 THEN $14 ELSE limit_max_log_entries END, \
    limit_max_concurrency = CASE WHEN $9 THEN $17 ELSE limit_max_concurrency END, \
    limit_cpu_time_ms = CASE WHEN $9 THEN $18 ELSE limit_cpu_time_ms END, \
    updated_at = $15, \
    isolation = COALESCE($16, isolation) \
    WHERE id = $1 RETURNING ",
    function_columns!()
);

pub(crate) const DELETE_FUNCTION: &str = "DELETE FROM functions WHERE id = $1";

pub(crate) const DELETE_CLAIMS_OF_JOB: &str = "DELETE FROM schedule_claims WHERE job = $1";

pub(crate) const FUNCTIONS_WITH_ACTIVE_CRON: &str = concat!(
    "SELECT ",
    function_columns!(),
    " FROM functions WHERE cron_status = 'active' AND cron_schedule IS NOT NULL \
    AND cron_schedule <> '' AND disabled = FALSE ORDER BY created_at, id"
);

pub(crate) const INSERT_VERSION: &str = "INSERT INTO function_versions \
    (id, function_id, version, code, created_at, created_by, is_active) \
    VALUES ($1, $2, $3, $4, $5, NULL, TRUE)";

pub(crate) const NEXT_VERSION_NUMBER: &str =
    "SELECT COALESCE(MAX(version), 0) + 1 FROM function_versions WHERE function_id = $1";

/// Deactivates every version of `$1` except `$2`.
pub(crate) const DEACTIVATE_OTHER_VERSIONS: &str = "UPDATE function_versions \
    SET is_active = FALSE WHERE function_id = $1 AND is_active = TRUE AND id <> $2";

pub(crate) const ACTIVATE_VERSION: &str =
    "UPDATE function_versions SET is_active = TRUE WHERE function_id = $1 AND id = $2";

pub(crate) const GET_VERSION: &str = concat!(
    "SELECT ",
    version_columns!(),
    " FROM function_versions WHERE function_id = $1 AND version = $2"
);

pub(crate) const GET_VERSION_BY_ID: &str = concat!(
    "SELECT ",
    version_columns!(),
    " FROM function_versions WHERE function_id = $1 AND id = $2"
);

pub(crate) const ACTIVE_VERSION: &str = concat!(
    "SELECT ",
    version_columns!(),
    " FROM function_versions WHERE function_id = $1 AND is_active = TRUE"
);

pub(crate) const COUNT_VERSIONS: &str =
    "SELECT COUNT(*) FROM function_versions WHERE function_id = $1";

pub(crate) const LIST_VERSIONS: &str = concat!(
    "SELECT ",
    version_columns!(),
    " FROM function_versions WHERE function_id = $1 ORDER BY version DESC LIMIT $2 OFFSET $3"
);

pub(crate) const VERSION_IS_ACTIVE: &str =
    "SELECT is_active FROM function_versions WHERE function_id = $1 AND id = $2";

pub(crate) const DELETE_VERSION: &str =
    "DELETE FROM function_versions WHERE function_id = $1 AND id = $2";

pub(crate) const EXECUTION_IDS_OF_FUNCTION: &str =
    "SELECT id FROM executions WHERE function_id = $1";

pub(crate) const EXECUTION_IDS_OF_VERSION: &str =
    "SELECT id FROM executions WHERE function_version_id = $1";

pub(crate) const INSERT_EXECUTION: &str = "INSERT INTO executions \
    (id, function_id, function_version_id, status, event_json, trigger_type, created_at) \
    VALUES ($1, $2, $3, 'pending', $4, $5, $6)";

/// The head of group commit's multi-row execution insert (`pending` rows and finished
/// ones); SQLite appends `VALUES` tuples, PostgreSQL `UNNEST`s arrays in this order.
pub(crate) const INSERT_EXECUTION_ROWS: &str = "INSERT INTO executions \
    (id, function_id, function_version_id, status, event_json, trigger_type, created_at, \
    duration_ms, error_message, response_json, usage_json)";

pub(crate) const FINISH_EXECUTION: &str = "UPDATE executions \
    SET status = $2, duration_ms = $3, error_message = $4, response_json = $5, usage_json = $6 \
    WHERE id = $1";

pub(crate) const GET_EXECUTION: &str = "SELECT id, function_id, function_version_id, status, \
    duration_ms, error_message, event_json, response_json, trigger_type, created_at, usage_json \
    FROM executions WHERE id = $1";

pub(crate) const COUNT_EXECUTIONS: &str = "SELECT COUNT(*) FROM executions WHERE function_id = $1";

/// Lists carry no `response_json`.
pub(crate) const LIST_EXECUTIONS: &str = "SELECT id, function_id, function_version_id, status, \
    duration_ms, error_message, event_json, NULL AS response_json, trigger_type, created_at, \
    usage_json FROM executions WHERE function_id = $1 \
    ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3";

pub(crate) const DELETE_EXECUTIONS_BEFORE: &str = "DELETE FROM executions WHERE id IN \
    (SELECT id FROM executions WHERE function_id = $1 AND created_at < $2 \
    ORDER BY created_at, id LIMIT $3) RETURNING id";

/// 1 when the execution exists, else 0.
pub(crate) const COUNT_EXECUTION: &str = "SELECT COUNT(*) FROM executions WHERE id = $1";

/// The `status = 'pending'` literal matches the partial index on pending rows.
pub(crate) const FAIL_STALE_PENDING: &str = "UPDATE executions \
    SET status = 'error', error_message = $2 WHERE status = 'pending' AND created_at < $1";

pub(crate) const CLAIM: &str = "INSERT INTO schedule_claims (job, scheduled_at, node, claimed_at) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (job, scheduled_at) DO NOTHING";

pub(crate) const DELETE_CLAIMS_BEFORE: &str = "DELETE FROM schedule_claims WHERE claimed_at < $1";

pub(crate) const PING: &str = "SELECT 1";

pub(crate) const KV_GET: &str = "SELECT value FROM kv WHERE function_id = $1 AND key = $2";
pub(crate) const KV_SET: &str = "INSERT INTO kv (function_id, key, value) VALUES ($1, $2, $3) \
    ON CONFLICT (function_id, key) DO UPDATE SET value = excluded.value";
pub(crate) const KV_DELETE: &str = "DELETE FROM kv WHERE function_id = $1 AND key = $2";
pub(crate) const KV_DELETE_ALL: &str = "DELETE FROM kv WHERE function_id = $1";
/// Keys starting with `$2`, compared literally (no `LIKE` wildcards or case folding).
pub(crate) const KV_COUNT_PREFIXED: &str = "SELECT COUNT(*) FROM kv \
    WHERE function_id = $1 AND substr(key, 1, length($2)) = $2";

/// A function's executions in `[$2, $3)` counted per (bucket of `$4` seconds from `$2`,
/// status, duration): the groups `ExecutionMetrics::from_groups` aggregates.
pub(crate) const EXECUTION_METRICS: &str = "SELECT (created_at - $2) / $4 AS bucket, status, \
    duration_ms, COUNT(*) AS n FROM executions \
    WHERE function_id = $1 AND created_at >= $2 AND created_at < $3 \
    GROUP BY 1, 2, 3";

pub(crate) const ENV_GET: &str = "SELECT value FROM env_vars WHERE function_id = $1 AND key = $2";
pub(crate) const ENV_ALL: &str = "SELECT key, value FROM env_vars WHERE function_id = $1";
pub(crate) const ENV_SET: &str = "INSERT INTO env_vars (function_id, key, value) \
    VALUES ($1, $2, $3) ON CONFLICT (function_id, key) DO UPDATE SET value = excluded.value";
pub(crate) const ENV_DELETE: &str = "DELETE FROM env_vars WHERE function_id = $1 AND key = $2";
pub(crate) const ENV_DELETE_ALL: &str = "DELETE FROM env_vars WHERE function_id = $1";

pub(crate) const COUNT_LOGS: &str = "SELECT COUNT(*) FROM logs WHERE execution_id = $1";
pub(crate) const LIST_LOGS: &str = "SELECT level, message, created_at FROM logs \
    WHERE execution_id = $1 ORDER BY created_at, seq LIMIT $2 OFFSET $3";

pub(crate) const INSERT_AI: &str = "INSERT INTO ai_requests (id, execution_id, provider, model, \
    endpoint, request_json, response_json, status, error_message, input_tokens, output_tokens, \
    duration_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
pub(crate) const COUNT_AI: &str = "SELECT COUNT(*) FROM ai_requests WHERE execution_id = $1";
pub(crate) const LIST_AI: &str = "SELECT id, execution_id, provider, model, endpoint, \
    request_json, response_json, status, error_message, input_tokens, output_tokens, \
    duration_ms, created_at FROM ai_requests WHERE execution_id = $1 \
    ORDER BY created_at, seq LIMIT $2 OFFSET $3";

pub(crate) const INSERT_HOST_CALL: &str = "INSERT INTO host_calls (id, execution_id, \
    capability, status, error_message, duration_ms, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const COUNT_HOST_CALLS: &str = "SELECT COUNT(*) FROM host_calls WHERE execution_id = $1";
pub(crate) const LIST_HOST_CALLS: &str = "SELECT id, execution_id, capability, status, \
    error_message, duration_ms, created_at FROM host_calls WHERE execution_id = $1 \
    ORDER BY created_at, seq LIMIT $2 OFFSET $3";

pub(crate) const INSERT_EMAIL: &str = "INSERT INTO email_requests (id, execution_id, \
    from_address, to_addresses, subject, has_text, has_html, request_json, response_json, \
    status, error_message, email_id, duration_ms, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
pub(crate) const COUNT_EMAIL: &str = "SELECT COUNT(*) FROM email_requests WHERE execution_id = $1";
pub(crate) const LIST_EMAIL: &str = "SELECT id, execution_id, from_address, to_addresses, \
    subject, has_text, has_html, request_json, response_json, status, error_message, email_id, \
    duration_ms, created_at FROM email_requests WHERE execution_id = $1 \
    ORDER BY created_at, seq LIMIT $2 OFFSET $3";

/// Splits `n` rows into statement sizes: up to 32 rows go in one statement, larger batches
/// in statements of 64 and 32 rows plus one for the rest. Bulk statements thus come in at
/// most 33 shapes (each also with `BEGIN IMMEDIATE` in front or `COMMIT` after it, in
/// group commit), all of which stay in the prepared-statement cache.
#[cfg(feature = "sqlite")]
pub(crate) fn chunk_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let size = match n {
            0 => return None,
            64.. => 64,
            33..=63 => 32,
            _ => n,
        };
        n -= size;
        Some(size)
    })
}

/// `(?, ?, ...), (...)`: `rows` tuples of `width` anonymous placeholders, bound in order.
/// Anonymous, because sqlx asks SQLite for each parameter's name to bind it, and SQLite
/// finds a name by scanning the statement's list of names: numbered placeholders made
/// that quadratic in a multi-row statement's parameters.
#[cfg(feature = "sqlite")]
pub(crate) fn placeholders(rows: usize, width: usize) -> String {
    let tuple = format!("({})", vec!["?"; width].join(", "));
    vec![tuple.as_str(); rows].join(", ")
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_row_with_few_shapes() {
        let mut shapes = std::collections::BTreeSet::new();
        for n in 0..300 {
            let sizes: Vec<usize> = chunk_sizes(n).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n);
            shapes.extend(sizes);
        }
        assert_eq!(shapes.len(), 33);
        assert_eq!(chunk_sizes(3).collect::<Vec<_>>(), vec![3]);
        assert_eq!(chunk_sizes(32).collect::<Vec<_>>(), vec![32]);
        assert_eq!(chunk_sizes(50).collect::<Vec<_>>(), vec![32, 18]);
        assert_eq!(chunk_sizes(135).collect::<Vec<_>>(), vec![64, 64, 7]);
    }

    #[test]
    fn placeholder_tuples() {
        assert_eq!(placeholders(2, 3), "(?, ?, ?), (?, ?, ?)");
        assert_eq!(placeholders(1, 1), "(?)");
    }
}
