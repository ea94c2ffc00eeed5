//! [`FunctionStore`]: functions, versions, executions and schedule claims.

use std::collections::BTreeMap;

use async_trait::async_trait;
use lunar_core::ids::version_id;
use lunar_core::metrics::{ExecutionMetrics, MetricsGroup, MetricsRange};
use lunar_core::model::{
    Execution, ExecutionStatus, Function, FunctionUpdate, FunctionVersion,
    FunctionWithActiveVersion, NewExecution, NewFunction, Outcome, Page, PageRequest, Timestamp,
};
use lunar_core::{ClaimStore, Error, ExecutionStore, FunctionStore, Result};
use sled::IVec;

use crate::SledStore;
use crate::error::{SledResult, TxResult, abort, in_tx};
use crate::keys::{self, prefix, tail, version_number};
use crate::records::{ClaimRec, ExecutionRec, FunctionRec, VersionRec, decode, encode, text};
use crate::trees::{Inner, Tx};

/// `(skip, take)` of a page.
pub(crate) fn window(page: PageRequest) -> (usize, usize) {
    (
        usize::try_from(page.offset).unwrap_or(usize::MAX),
        usize::try_from(page.limit).unwrap_or(usize::MAX),
    )
}

/// Counts the keys starting with `p`.
pub(crate) fn count_prefix(tree: &sled::Tree, p: &[u8]) -> SledResult<u64> {
    let mut n = 0;
    for k in tree.scan_prefix(p).keys() {
        k?;
        n += 1;
    }
    Ok(n)
}

/// Keys of the logs, AI, e-mail and host-call rows of some executions, found by a scan so that a
/// transaction can remove them.
#[derive(Default)]
pub(crate) struct Rows {
    logs: Vec<IVec>,
    ai: Vec<IVec>,
    email: Vec<IVec>,
    host_calls: Vec<IVec>,
}

impl Inner {
    /// Scans the dependent rows of `execution_ids`.
    pub(crate) fn rows_of(&self, execution_ids: &[String]) -> SledResult<Rows> {
        let mut rows = Rows::default();
        for id in execution_ids {
            let p = prefix(id);
            for (tree, out) in [
                (&self.t.logs, &mut rows.logs),
                (&self.t.ai, &mut rows.ai),
                (&self.t.email, &mut rows.email),
                (&self.t.host_calls, &mut rows.host_calls),
            ] {
                for k in tree.scan_prefix(&p).keys() {
                    out.push(k?);
                }
            }
        }
        Ok(rows)
    }

    fn function_rec(&self, id: &str) -> SledResult<Option<FunctionRec>> {
        self.t
            .functions
            .get(id)?
            .map(|raw| decode("function", &raw))
            .transpose()
    }

    fn version_rec(&self, function_id: &str, number: i64) -> SledResult<Option<VersionRec>> {
        self.t
            .versions
            .get(keys::version(function_id, number))?
            .map(|raw| decode("version", &raw))
            .transpose()
    }

    /// The active version of a function record, if any.
    fn active_of(&self, rec: &FunctionRec) -> SledResult<Option<FunctionVersion>> {
        let Some(n) = rec.active_version else {
            return Ok(None);
        };
        Ok(self
            .version_rec(&rec.id, n)?
            .map(|v| v.into_model(rec.active_version)))
    }
}

/// Removes the row keys found by [`Inner::rows_of`].
fn remove_rows(tx: &Tx<'_>, rows: &Rows) -> TxResult<()> {
    for k in &rows.logs {
        tx.logs.remove(k)?;
    }
    for k in &rows.ai {
        tx.ai.remove(k)?;
    }
    for k in &rows.email {
        tx.email.remove(k)?;
    }
    for k in &rows.host_calls {
        tx.host_calls.remove(k)?;
    }
    Ok(())
}

fn get_function(tx: &Tx<'_>, id: &str) -> TxResult<Option<FunctionRec>> {
    match tx.functions.get(id)? {
        Some(raw) => in_tx(decode("function", &raw)).map(Some),
        None => Ok(None),
    }
}

fn put_function(tx: &Tx<'_>, rec: &FunctionRec) -> TxResult<()> {
    tx.functions
        .insert(rec.id.as_bytes(), in_tx(encode("function", rec))?)?;
    Ok(())
}

fn get_execution(tx: &Tx<'_>, id: &str) -> TxResult<Option<ExecutionRec>> {
    match tx.executions.get(id)? {
        Some(raw) => in_tx(decode("execution", &raw)).map(Some),
        None => Ok(None),
    }
}

fn put_execution(tx: &Tx<'_>, rec: &ExecutionRec) -> TxResult<()> {
    tx.executions
        .insert(rec.id.as_bytes(), in_tx(encode("execution", rec))?)?;
    Ok(())
}

/// Removes an execution with its response and index entries; returns it when it existed.
fn remove_execution(tx: &Tx<'_>, id: &str) -> TxResult<Option<ExecutionRec>> {
    let Some(rec) = get_execution(tx, id)? else {
        return Ok(None);
    };
    tx.executions.remove(id)?;
    tx.execution_responses.remove(id)?;
    tx.executions_by_function.remove(keys::execution_order(
        &rec.function_id,
        rec.created_at,
        id,
    ))?;
    tx.executions_by_version
        .remove(keys::execution_version(&rec.function_version_id, id))?;
    tx.executions_pending
        .remove(keys::pending(rec.created_at, id))?;
    Ok(Some(rec))
}

/// Removes executions and lowers their functions' execution counts.
fn remove_executions(tx: &Tx<'_>, ids: &[String]) -> TxResult<()> {
    let mut per_function: BTreeMap<String, u64> = BTreeMap::new();
    for id in ids {
        if let Some(rec) = remove_execution(tx, id)? {
            *per_function.entry(rec.function_id).or_default() += 1;
        }
    }
    for (function_id, n) in per_function {
        if let Some(mut f) = get_function(tx, &function_id)? {
            f.executions = f.executions.saturating_sub(n);
            put_function(tx, &f)?;
        }
    }
    Ok(())
}

/// Inserts a `pending` execution with its index entries (the caller holds `adding`).
pub(crate) fn tx_insert_execution(tx: &Tx<'_>, e: &NewExecution) -> TxResult<()> {
    let Some(mut f) = get_function(tx, &e.function_id)? else {
        return abort(Error::NotFound("function"));
    };
    let Some(n) = version_number(&e.function_id, &e.function_version_id) else {
        return abort(Error::NotFound("version"));
    };
    if tx.versions.get(keys::version(&e.function_id, n))?.is_none() {
        return abort(Error::NotFound("version"));
    }
    if tx.executions.get(&e.id)?.is_some() {
        return abort(Error::AlreadyExists("execution".to_owned()));
    }
    let rec = ExecutionRec {
        id: e.id.clone(),
        function_id: e.function_id.clone(),
        function_version_id: e.function_version_id.clone(),
        status: ExecutionStatus::Pending,
        duration_ms: None,
        error_message: None,
        event_json: e.event_json.clone(),
        trigger: e.trigger,
        created_at: e.created_at,
        usage: None,
    };
    put_execution(tx, &rec)?;
    tx.executions_by_function.insert(
        keys::execution_order(&e.function_id, e.created_at, &e.id),
        &[],
    )?;
    tx.executions_by_version
        .insert(keys::execution_version(&e.function_version_id, &e.id), &[])?;
    tx.executions_pending
        .insert(keys::pending(e.created_at, &e.id), &[])?;
    f.executions += 1;
    put_function(tx, &f)
}

/// Whether execution `id` is still `pending`; `NotFound("execution")` when it is missing.
pub(crate) fn tx_is_pending(tx: &Tx<'_>, id: &str) -> TxResult<bool> {
    match get_execution(tx, id)? {
        Some(rec) => Ok(rec.status == ExecutionStatus::Pending),
        None => abort(Error::NotFound("execution")),
    }
}

/// Sets the final state of an execution; `NotFound("execution")`.
pub(crate) fn tx_finish_execution(tx: &Tx<'_>, id: &str, o: &Outcome) -> TxResult<()> {
    let Some(mut rec) = get_execution(tx, id)? else {
        return abort(Error::NotFound("execution"));
    };
    rec.status = o.status;
    rec.duration_ms = Some(o.duration_ms);
    rec.usage = o.usage;
    rec.error_message.clone_from(&o.error_message);
    match &o.response_json {
        Some(r) => {
            tx.execution_responses.insert(id, r.as_bytes())?;
        }
        None => {
            tx.execution_responses.remove(id)?;
        }
    }
    if o.status != ExecutionStatus::Pending {
        tx.executions_pending
            .remove(keys::pending(rec.created_at, id))?;
    }
    put_execution(tx, &rec)
}

impl Inner {
    fn create_function(&self, f: &NewFunction) -> SledResult<FunctionWithActiveVersion> {
        let rec = FunctionRec {
            id: f.id.clone(),
            name: f.name.clone(),
            description: f.description.clone(),
            disabled: false,
            retention_days: None,
            cron_schedule: None,
            cron_status: Some(lunar_core::model::CronStatus::Paused),
            save_response: false,
            created_at: f.now,
            updated_at: f.now,
            limits: lunar_core::model::FunctionLimits::default(),
            isolation: f.isolation,
            active_version: Some(1),
            next_version: 2,
            executions: 0,
        };
        let version = VersionRec {
            id: version_id(&f.id, 1),
            function_id: f.id.clone(),
            version: 1,
            code: f.code.clone(),
            created_at: f.now,
            created_by: None,
        };
        let version_bytes = encode("version", &version)?;
        self.tx(|tx| {
            if tx.functions.get(&f.id)?.is_some() {
                return abort(Error::AlreadyExists("function".to_owned()));
            }
            put_function(tx, &rec)?;
            tx.functions_by_created
                .insert(keys::function_order(f.now, &f.id), &[])?;
            tx.versions
                .insert(keys::version(&f.id, 1), version_bytes.as_slice())?;
            Ok(())
        })?;
        Ok(FunctionWithActiveVersion {
            function: rec.to_model(),
            active_version: version.into_model(Some(1)),
        })
    }

    fn get_function(&self, id: &str) -> SledResult<Function> {
        let rec = self.function_rec(id)?.ok_or(Error::NotFound("function"))?;
        Ok(rec.to_model())
    }

    fn list_functions(&self, page: PageRequest) -> SledResult<Page<FunctionWithActiveVersion>> {
        let total = count_prefix(&self.t.functions_by_created, &[])?;
        let (skip, take) = window(page);
        let mut items = Vec::new();
        for entry in self
            .t
            .functions_by_created
            .iter()
            .rev()
            .skip(skip)
            .take(take)
        {
            let (k, _) = entry?;
            let id = tail(&k, 8, "functions_by_created")?;
            // Deleted between the index read and this one: skip it.
            let Some(rec) = self.function_rec(&id)? else {
                continue;
            };
            let active = self.active_of(&rec)?.unwrap_or_default();
            items.push(FunctionWithActiveVersion {
                function: rec.to_model(),
                active_version: active,
            });
        }
        Ok(Page { items, total })
    }

    fn update_function(&self, id: &str, u: &FunctionUpdate) -> SledResult<Function> {
        let _adding = self.adding();
        self.tx(|tx| {
            let Some(mut rec) = get_function(tx, id)? else {
                return abort(Error::NotFound("function"));
            };
            if let Some(code) = &u.code {
                let n = rec.next_version.max(1);
                let version = VersionRec {
                    id: version_id(id, n),
                    function_id: id.to_owned(),
                    version: n,
                    code: code.clone(),
                    created_at: u.now,
                    created_by: None,
                };
                tx.versions
                    .insert(keys::version(id, n), in_tx(encode("version", &version))?)?;
                rec.active_version = Some(n);
                rec.next_version = n + 1;
            }
            if let Some(v) = &u.name {
                rec.name.clone_from(v);
            }
            if let Some(v) = &u.description {
                rec.description = Some(v.clone());
            }
            if let Some(v) = u.disabled {
                rec.disabled = v;
            }
            if let Some(v) = u.retention_days {
                rec.retention_days = Some(v);
            }
            if let Some(v) = &u.cron_schedule {
                rec.cron_schedule = Some(v.clone());
            }
            if let Some(v) = u.cron_status {
                rec.cron_status = Some(v);
            }
            if let Some(v) = u.save_response {
                rec.save_response = v;
            }
            if let Some(v) = u.limits {
                rec.limits = v;
            }
            if let Some(v) = u.isolation {
                rec.isolation = v;
            }
            if !u.is_empty() {
                rec.updated_at = u.now;
            }
            put_function(tx, &rec)?;
            Ok(rec.to_model())
        })
    }

    fn delete_function(&self, id: &str) -> SledResult<Vec<String>> {
        let _cascading = self.cascading();
        let p = prefix(id);
        let mut execution_ids = Vec::new();
        for k in self.t.executions_by_function.scan_prefix(&p).keys() {
            execution_ids.push(tail(&k?, p.len() + 8, "executions_by_function")?);
        }
        let rows = self.rows_of(&execution_ids)?;
        let mut versions = Vec::new();
        for k in self.t.versions.scan_prefix(&p).keys() {
            versions.push(k?);
        }
        let mut entries = Vec::new();
        for k in self.t.kv.scan_prefix(&p).keys() {
            entries.push((false, k?));
        }
        for k in self.t.env.scan_prefix(&p).keys() {
            entries.push((true, k?));
        }
        let mut claims = Vec::new();
        for kv in self.t.claims.scan_prefix(&p) {
            let (k, v) = kv?;
            let claim: ClaimRec = decode("claim", &v)?;
            claims.push((keys::claim_time(claim.claimed_at, &k), k));
        }
        self.tx(|tx| {
            let Some(rec) = get_function(tx, id)? else {
                return abort(Error::NotFound("function"));
            };
            tx.functions.remove(id)?;
            tx.functions_by_created
                .remove(keys::function_order(rec.created_at, id))?;
            for k in &versions {
                tx.versions.remove(k)?;
            }
            for e in &execution_ids {
                remove_execution(tx, e)?;
            }
            remove_rows(tx, &rows)?;
            for (env, k) in &entries {
                if *env {
                    tx.env.remove(k)?;
                } else {
                    tx.kv.remove(k)?;
                }
            }
            for (time_key, k) in &claims {
                tx.claims.remove(k)?;
                tx.claims_by_time.remove(time_key.as_slice())?;
            }
            Ok(())
        })?;
        Ok(execution_ids)
    }

    fn get_version(&self, function_id: &str, number: i64) -> SledResult<FunctionVersion> {
        let rec = self
            .function_rec(function_id)?
            .ok_or(Error::NotFound("version"))?;
        let v = self
            .version_rec(function_id, number)?
            .ok_or(Error::NotFound("version"))?;
        Ok(v.into_model(rec.active_version))
    }

    fn get_version_by_id(&self, function_id: &str, id: &str) -> SledResult<FunctionVersion> {
        let n = version_number(function_id, id).ok_or(Error::NotFound("version"))?;
        self.get_version(function_id, n)
    }

    fn list_versions(
        &self,
        function_id: &str,
        page: PageRequest,
    ) -> SledResult<Page<FunctionVersion>> {
        let Some(rec) = self.function_rec(function_id)? else {
            return Ok(Page::empty());
        };
        let p = prefix(function_id);
        let total = count_prefix(&self.t.versions, &p)?;
        let (skip, take) = window(page);
        let mut items = Vec::new();
        for v in self
            .t
            .versions
            .scan_prefix(&p)
            .values()
            .rev()
            .skip(skip)
            .take(take)
        {
            let v: VersionRec = decode("version", &v?)?;
            items.push(v.into_model(rec.active_version));
        }
        Ok(Page { items, total })
    }

    fn active_version(&self, function_id: &str) -> SledResult<FunctionVersion> {
        let rec = self
            .function_rec(function_id)?
            .ok_or(Error::NotFound("version"))?;
        Ok(self.active_of(&rec)?.ok_or(Error::NotFound("version"))?)
    }

    fn activate_version(&self, function_id: &str, id: &str) -> SledResult<()> {
        let n = version_number(function_id, id).ok_or(Error::NotFound("version"))?;
        self.tx(|tx| {
            let Some(mut rec) = get_function(tx, function_id)? else {
                return abort(Error::NotFound("version"));
            };
            if tx.versions.get(keys::version(function_id, n))?.is_none() {
                return abort(Error::NotFound("version"));
            }
            rec.active_version = Some(n);
            put_function(tx, &rec)
        })
    }

    fn delete_version(&self, function_id: &str, id: &str) -> SledResult<Vec<String>> {
        let n = version_number(function_id, id).ok_or(Error::NotFound("version"))?;
        let _cascading = self.cascading();
        let p = prefix(id);
        let mut execution_ids = Vec::new();
        for k in self.t.executions_by_version.scan_prefix(&p).keys() {
            execution_ids.push(tail(&k?, p.len(), "executions_by_version")?);
        }
        let rows = self.rows_of(&execution_ids)?;
        self.tx(|tx| {
            let Some(mut rec) = get_function(tx, function_id)? else {
                return abort(Error::NotFound("version"));
            };
            let key = keys::version(function_id, n);
            if tx.versions.get(&key)?.is_none() {
                return abort(Error::NotFound("version"));
            }
            if rec.active_version == Some(n) {
                return abort(Error::Conflict(
                    "cannot delete the active version".to_owned(),
                ));
            }
            tx.versions.remove(key)?;
            // Keep `next_version = max + 1` when the highest version goes.
            if rec.next_version == n + 1 {
                let mut next = 1;
                for k in (1..n).rev() {
                    if tx.versions.get(keys::version(function_id, k))?.is_some() {
                        next = k + 1;
                        break;
                    }
                }
                rec.next_version = next;
            }
            put_function(tx, &rec)?;
            remove_executions(tx, &execution_ids)?;
            remove_rows(tx, &rows)
        })?;
        Ok(execution_ids)
    }

    fn insert_execution(&self, e: &NewExecution) -> SledResult<()> {
        let _adding = self.adding();
        self.tx(|tx| tx_insert_execution(tx, e))
    }

    fn finish_execution(&self, id: &str, o: &Outcome) -> SledResult<()> {
        self.tx(|tx| tx_finish_execution(tx, id, o))
    }

    fn get_execution(&self, id: &str) -> SledResult<Execution> {
        let raw = self
            .t
            .executions
            .get(id)?
            .ok_or(Error::NotFound("execution"))?;
        let rec: ExecutionRec = decode("execution", &raw)?;
        let response = self
            .t
            .execution_responses
            .get(id)?
            .map(|r| text("response", &r))
            .transpose()?;
        Ok(rec.into_model(response))
    }

    fn list_executions(&self, function_id: &str, page: PageRequest) -> SledResult<Page<Execution>> {
        let Some(f) = self.function_rec(function_id)? else {
            return Ok(Page::empty());
        };
        let p = prefix(function_id);
        let (skip, take) = window(page);
        let mut items = Vec::new();
        for k in self
            .t
            .executions_by_function
            .scan_prefix(&p)
            .keys()
            .rev()
            .skip(skip)
            .take(take)
        {
            let id = tail(&k?, p.len() + 8, "executions_by_function")?;
            if let Some(raw) = self.t.executions.get(&id)? {
                let rec: ExecutionRec = decode("execution", &raw)?;
                items.push(rec.into_model(None));
            }
        }
        Ok(Page {
            items,
            total: f.executions,
        })
    }

    /// Groups the function's executions in `range` (a range scan of its execution index).
    fn execution_metrics(
        &self,
        function_id: &str,
        range: MetricsRange,
    ) -> SledResult<ExecutionMetrics> {
        let from = keys::join(function_id, &[&keys::int(range.since)]);
        let to = keys::join(function_id, &[&keys::int(range.until)]);
        let skip = prefix(function_id).len() + 8;
        let mut groups = Vec::new();
        for k in self.t.executions_by_function.range(from..to).keys() {
            let id = tail(&k?, skip, "executions_by_function")?;
            let Some(raw) = self.t.executions.get(&id)? else {
                continue;
            };
            let rec: ExecutionRec = decode("execution", &raw)?;
            if let Some(bucket) = range.bucket_of(rec.created_at) {
                groups.push(MetricsGroup {
                    bucket,
                    status: rec.status,
                    duration_ms: rec.duration_ms,
                    count: 1,
                });
            }
        }
        Ok(ExecutionMetrics::from_groups(range, groups))
    }

    fn delete_executions_before(
        &self,
        function_id: &str,
        cutoff: Timestamp,
        max: u32,
    ) -> SledResult<Vec<String>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let _cascading = self.cascading();
        let p = prefix(function_id);
        let end = keys::join(function_id, &[&keys::int(cutoff)]);
        let mut ids = Vec::new();
        let take = usize::try_from(max).unwrap_or(usize::MAX);
        for k in self
            .t
            .executions_by_function
            .range(p.clone()..end)
            .keys()
            .take(take)
        {
            ids.push(tail(&k?, p.len() + 8, "executions_by_function")?);
        }
        if ids.is_empty() {
            return Ok(ids);
        }
        let rows = self.rows_of(&ids)?;
        self.tx(|tx| {
            remove_executions(tx, &ids)?;
            remove_rows(tx, &rows)
        })?;
        Ok(ids)
    }

    fn fail_stale_pending(&self, older_than: Timestamp, message: &str) -> SledResult<u64> {
        let mut ids = Vec::new();
        for k in self
            .t
            .executions_pending
            .range(..keys::int(older_than))
            .keys()
        {
            ids.push(tail(&k?, 8, "executions_pending")?);
        }
        if ids.is_empty() {
            return Ok(0);
        }
        self.tx(|tx| {
            let mut n = 0;
            for id in &ids {
                let Some(mut rec) = get_execution(tx, id)? else {
                    continue;
                };
                tx.executions_pending
                    .remove(keys::pending(rec.created_at, id))?;
                if rec.status == ExecutionStatus::Pending {
                    rec.status = ExecutionStatus::Error;
                    rec.error_message = Some(message.to_owned());
                    put_execution(tx, &rec)?;
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    fn functions_with_active_cron(&self) -> SledResult<Vec<Function>> {
        let mut out = Vec::new();
        for raw in self.t.functions.iter().values() {
            let rec: FunctionRec = decode("function", &raw?)?;
            let f = rec.to_model();
            if f.has_active_cron() {
                out.push(f);
            }
        }
        out.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(out)
    }

    fn claim(
        &self,
        job: &str,
        scheduled_at: Timestamp,
        node: &str,
        now: Timestamp,
    ) -> SledResult<bool> {
        let key = keys::claim(job, scheduled_at);
        let rec = encode(
            "claim",
            &ClaimRec {
                node: node.to_owned(),
                claimed_at: now,
            },
        )?;
        self.tx(|tx| {
            if tx.claims.get(&key)?.is_some() {
                return Ok(false);
            }
            tx.claims.insert(key.as_slice(), rec.as_slice())?;
            tx.claims_by_time.insert(keys::claim_time(now, &key), &[])?;
            Ok(true)
        })
    }

    fn delete_claims_before(&self, cutoff: Timestamp) -> SledResult<u64> {
        let mut found = Vec::new();
        for k in self.t.claims_by_time.range(..keys::int(cutoff)).keys() {
            found.push(k?);
        }
        if found.is_empty() {
            return Ok(0);
        }
        self.tx(|tx| {
            let mut n = 0;
            for time_key in &found {
                tx.claims_by_time.remove(time_key)?;
                if let Some(claim_key) = time_key.get(8..)
                    && tx.claims.remove(claim_key)?.is_some()
                {
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    fn ping(&self) -> SledResult<()> {
        self.t.meta.get(crate::SCHEMA_KEY)?;
        Ok(())
    }
}

#[async_trait]
impl FunctionStore for SledStore {
    async fn create_function(&self, f: NewFunction) -> Result<FunctionWithActiveVersion> {
        self.run(move |db| db.create_function(&f)).await
    }

    async fn get_function(&self, id: &str) -> Result<Function> {
        let id = id.to_owned();
        self.run(move |db| db.get_function(&id)).await
    }

    async fn list_functions(&self, page: PageRequest) -> Result<Page<FunctionWithActiveVersion>> {
        self.run(move |db| db.list_functions(page)).await
    }

    async fn update_function(&self, id: &str, u: FunctionUpdate) -> Result<Function> {
        let id = id.to_owned();
        self.run(move |db| db.update_function(&id, &u)).await
    }

    async fn delete_function(&self, id: &str) -> Result<Vec<String>> {
        let id = id.to_owned();
        self.run(move |db| db.delete_function(&id)).await
    }

    async fn get_version(&self, function_id: &str, number: i64) -> Result<FunctionVersion> {
        let function_id = function_id.to_owned();
        self.run(move |db| db.get_version(&function_id, number))
            .await
    }

    async fn get_version_by_id(
        &self,
        function_id: &str,
        version_id: &str,
    ) -> Result<FunctionVersion> {
        let (function_id, version_id) = (function_id.to_owned(), version_id.to_owned());
        self.run(move |db| db.get_version_by_id(&function_id, &version_id))
            .await
    }

    async fn list_versions(
        &self,
        function_id: &str,
        page: PageRequest,
    ) -> Result<Page<FunctionVersion>> {
        let function_id = function_id.to_owned();
        self.run(move |db| db.list_versions(&function_id, page))
            .await
    }

    async fn active_version(&self, function_id: &str) -> Result<FunctionVersion> {
        let function_id = function_id.to_owned();
        self.run(move |db| db.active_version(&function_id)).await
    }

    async fn activate_version(&self, function_id: &str, version_id: &str) -> Result<()> {
        let (function_id, version_id) = (function_id.to_owned(), version_id.to_owned());
        self.run(move |db| db.activate_version(&function_id, &version_id))
            .await
    }

    async fn delete_version(&self, function_id: &str, version_id: &str) -> Result<Vec<String>> {
        let (function_id, version_id) = (function_id.to_owned(), version_id.to_owned());
        self.run(move |db| db.delete_version(&function_id, &version_id))
            .await
    }

    async fn functions_with_active_cron(&self) -> Result<Vec<Function>> {
        self.run(Inner::functions_with_active_cron).await
    }

    async fn ping(&self) -> Result<()> {
        self.run(Inner::ping).await
    }
}

#[async_trait]
impl ExecutionStore for SledStore {
    async fn insert_execution(&self, e: NewExecution) -> Result<()> {
        self.run_execution_write(move |db| db.insert_execution(&e))
            .await
    }

    async fn finish_execution(&self, id: &str, outcome: Outcome) -> Result<()> {
        let id = id.to_owned();
        self.run_execution_write(move |db| db.finish_execution(&id, &outcome))
            .await
    }

    async fn get_execution(&self, id: &str) -> Result<Execution> {
        let id = id.to_owned();
        self.run(move |db| db.get_execution(&id)).await
    }

    async fn list_executions(
        &self,
        function_id: &str,
        page: PageRequest,
    ) -> Result<Page<Execution>> {
        let function_id = function_id.to_owned();
        self.run(move |db| db.list_executions(&function_id, page))
            .await
    }

    async fn execution_metrics(
        &self,
        function_id: &str,
        range: MetricsRange,
    ) -> Result<ExecutionMetrics> {
        let function_id = function_id.to_owned();
        self.run(move |db| db.execution_metrics(&function_id, range))
            .await
    }

    async fn delete_executions_before(
        &self,
        function_id: &str,
        cutoff: Timestamp,
        max: u32,
    ) -> Result<Vec<String>> {
        let function_id = function_id.to_owned();
        self.run(move |db| db.delete_executions_before(&function_id, cutoff, max))
            .await
    }

    async fn fail_stale_pending(&self, older_than: Timestamp, message: &str) -> Result<u64> {
        let message = message.to_owned();
        self.run(move |db| db.fail_stale_pending(older_than, &message))
            .await
    }
}

#[async_trait]
impl ClaimStore for SledStore {
    async fn claim(
        &self,
        job: &str,
        scheduled_at: Timestamp,
        node: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let (job, node) = (job.to_owned(), node.to_owned());
        self.run(move |db| db.claim(&job, scheduled_at, &node, now))
            .await
    }

    async fn delete_claims_before(&self, cutoff: Timestamp) -> Result<u64> {
        self.run(move |db| db.delete_claims_before(cutoff)).await
    }
}
