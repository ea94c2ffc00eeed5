//! The crate's private error type and its conversion into [`lunar_core::Error`].

use lunar_core::Error;
use sled::transaction::{ConflictableTransactionError, TransactionError};

/// The backend name carried by [`Error::Backend`].
pub(crate) const BACKEND: &str = "sled";

/// Everything that can go wrong inside the sled store before it reaches the trait boundary.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SledError {
    /// sled itself failed (I/O, corruption, unsupported operation).
    #[error(transparent)]
    Sled(#[from] sled::Error),
    /// A stored record could not be decoded.
    #[error("stored {what} record could not be decoded")]
    Decode {
        /// Which kind of record.
        what: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A record could not be encoded.
    #[error("{what} record could not be encoded")]
    Encode {
        /// Which kind of record.
        what: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A stored value was not UTF-8 text.
    #[error("stored {what} is not valid UTF-8")]
    Utf8 {
        /// Which kind of value.
        what: &'static str,
        /// The decoding error.
        #[source]
        source: std::string::FromUtf8Error,
    },
    /// A key in an index tree has an unexpected shape.
    #[error("malformed key in tree `{0}`")]
    BadKey(&'static str),
    /// A method was called before [`SledStore::migrate`](crate::SledStore::migrate).
    #[error("the sled store is not migrated: call SledStore::migrate first")]
    NotMigrated,
    /// The database was written by a newer schema than this build knows.
    #[error("database schema version {found} is newer than the supported {supported}")]
    SchemaTooNew {
        /// Version found in the database.
        found: u32,
        /// Newest version this build supports.
        supported: u32,
    },
    /// The blocking task running the operation panicked or was cancelled.
    #[error("blocking sled task failed")]
    Join(#[from] tokio::task::JoinError),
    /// A meaning-level outcome decided by the store (`NotFound`, `Conflict`...).
    #[error(transparent)]
    Core(#[from] Error),
}

/// Result of the store's internal operations.
pub(crate) type SledResult<T> = std::result::Result<T, SledError>;

/// Result of a transaction closure.
pub(crate) type TxResult<T> = std::result::Result<T, ConflictableTransactionError<SledError>>;

impl From<TransactionError<SledError>> for SledError {
    fn from(e: TransactionError<SledError>) -> Self {
        match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => Self::Sled(e),
        }
    }
}

impl From<SledError> for Error {
    fn from(e: SledError) -> Self {
        match e {
            SledError::Core(e) => e,
            SledError::Sled(e) => Error::backend(BACKEND, e),
            other => Error::backend(BACKEND, other),
        }
    }
}

/// Aborts a transaction with a store error.
pub(crate) fn abort<T>(e: impl Into<SledError>) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e.into()))
}

/// Lifts a store result into a transaction result (an error aborts).
pub(crate) fn in_tx<T>(r: SledResult<T>) -> TxResult<T> {
    r.map_err(ConflictableTransactionError::Abort)
}
