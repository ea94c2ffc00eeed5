//! The sled trees of a store, and the all-trees transaction view.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use sled::transaction::{Transactional, TransactionalTree};
use sled::{Db, Tree};

use crate::error::{SledResult, TxResult};

macro_rules! trees {
    ($($(#[doc = $doc:literal])* $field:ident => $name:literal,)*) => {
        /// Every tree of the store, opened by `migrate`.
        pub(crate) struct Trees {
            $($(#[doc = $doc])* pub(crate) $field: Tree,)*
        }

        /// The same trees inside a transaction.
        #[allow(dead_code, reason = "not every tree is written in a transaction")]
        pub(crate) struct Tx<'a> {
            $($(#[doc = $doc])* pub(crate) $field: &'a TransactionalTree,)*
        }

        impl Trees {
            fn open(db: &Db) -> sled::Result<Self> {
                Ok(Self { $($field: db.open_tree($name)?,)* })
            }

            fn all(&self) -> Vec<Tree> {
                vec![$(self.$field.clone(),)*]
            }
        }

        impl<'a> Tx<'a> {
            /// Names the entries of a view over [`Trees::all`], in the same order.
            fn new(view: &'a [TransactionalTree]) -> Option<Self> {
                let mut it = view.iter();
                Some(Self { $($field: it.next()?,)* })
            }
        }
    };
}

trees! {
    /// `schema_version` → `u32` big-endian.
    meta => "meta",
    /// function id → `FunctionRec`.
    functions => "functions",
    /// `int(created_at) ++ id` → `[]`; reversed: `created_at` desc, `id` desc.
    functions_by_created => "functions_by_created",
    /// `prefix(function_id) ++ int(number)` → `VersionRec`.
    versions => "versions",
    /// execution id → `ExecutionRec`.
    executions => "executions",
    /// execution id → saved response JSON text.
    execution_responses => "execution_responses",
    /// `prefix(function_id) ++ int(created_at) ++ id` → `[]`.
    executions_by_function => "executions_by_function",
    /// `prefix(version_id) ++ execution_id` → `[]`.
    executions_by_version => "executions_by_version",
    /// `int(created_at) ++ id` → `[]`, for executions still `pending`.
    executions_pending => "executions_pending",
    /// `prefix(execution_id) ++ int(created_at) ++ seq` → `LogEntry`.
    logs => "logs",
    /// `prefix(execution_id) ++ int(created_at) ++ seq` → `AiRequest`.
    ai => "ai_requests",
    /// `prefix(execution_id) ++ int(created_at) ++ seq` → `EmailRequest`.
    email => "email_requests",
    /// `prefix(execution_id) ++ int(created_at) ++ seq` → `HostCall`.
    host_calls => "host_calls",
    /// `prefix(function_id) ++ key` → value.
    kv => "kv",
    /// `prefix(function_id) ++ key` → value.
    env => "env",
    /// `prefix(job) ++ int(scheduled_at)` → `ClaimRec`.
    claims => "claims",
    /// `int(claimed_at) ++ claim key` → `[]`.
    claims_by_time => "claims_by_time",
}

/// The opened store: its trees and the lock that keeps scans and cascades consistent.
pub(crate) struct Inner {
    pub(crate) t: Trees,
    all: Vec<Tree>,
    /// sled transactions cannot iterate, so a cascade scans for the keys to remove and
    /// then removes them in a transaction. Writers that add child rows (executions, logs,
    /// KV...) hold this shared; cascades hold it exclusively from scan to commit, so no
    /// child appears in between.
    cascade: RwLock<()>,
}

impl Inner {
    /// Opens (creating when missing) every tree.
    pub(crate) fn open(db: &Db) -> sled::Result<Self> {
        let t = Trees::open(db)?;
        let all = t.all();
        Ok(Self {
            t,
            all,
            cascade: RwLock::new(()),
        })
    }

    /// Runs `f` as one transaction over every tree. sled serialises transactions, so
    /// reads inside `f` see no concurrent writer.
    pub(crate) fn tx<A>(&self, f: impl Fn(&Tx<'_>) -> TxResult<A>) -> SledResult<A> {
        let r = self
            .all
            .as_slice()
            .transaction(|view: &Vec<TransactionalTree>| match Tx::new(view) {
                Some(tx) => f(&tx),
                None => crate::error::abort(lunar_core::Error::Internal(
                    "sled transaction view is missing a tree".to_owned(),
                )),
            });
        Ok(r?)
    }

    /// Flushes the whole database (every tree shares one log) to disk.
    pub(crate) fn flush(&self) -> sled::Result<usize> {
        self.t.meta.flush()
    }

    /// Shared hold for writers that add child rows.
    pub(crate) fn adding(&self) -> RwLockReadGuard<'_, ()> {
        self.cascade.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Exclusive hold for scan-then-delete cascades.
    pub(crate) fn cascading(&self) -> RwLockWriteGuard<'_, ()> {
        self.cascade.write().unwrap_or_else(PoisonError::into_inner)
    }
}
