//! The one error type every Lunar trait returns.

use std::error::Error as StdError;

/// A boxed error kept as the `source` of [`Error::Backend`] and friends.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Result alias used by every Lunar trait.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors returned by Lunar's stores, services and validation.
///
/// Variants carry meaning rather than origin: a backend converts its own errors into the
/// variant that says what happened (a missing row is [`Error::NotFound`], a unique-key
/// violation [`Error::AlreadyExists`]) and keeps the original error as `source`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The named thing does not exist (`"function"`, `"version"`, `"execution"`...).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A row with the same key already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The operation conflicts with the current state (e.g. deleting the active version).
    #[error("conflict: {0}")]
    Conflict(String),
    /// An input failed validation; `field` names it, `message` says why.
    #[error("{field}: {message}")]
    InvalidInput {
        /// The field that failed (`name`, `env_var_key`, `limits`...).
        field: String,
        /// The human message, without the field prefix.
        message: String,
    },
    /// An operation took longer than allowed.
    #[error("operation timed out")]
    Timeout,
    /// A storage or service backend failed.
    #[error("{backend} backend error: {source}")]
    Backend {
        /// Which backend (`"sqlite"`, `"postgres"`, `"sled"`...).
        backend: &'static str,
        /// The backend's own error.
        #[source]
        source: BoxError,
    },
    /// The runtime failed outside user code (worker crashed, pool closed...).
    #[error("runtime error: {0}")]
    Runtime(String),
    /// An internal invariant did not hold.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The backend that failed, when this is a backend failure (an outage, a full disk, a
    /// dropped connection...) rather than a statement about the data.
    #[must_use]
    pub fn failed_backend(&self) -> Option<&'static str> {
        match self {
            Self::Backend { backend, .. } => Some(backend),
            _ => None,
        }
    }

    /// Builds an [`Error::InvalidInput`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Wraps a backend error, keeping it as the source.
    pub fn backend(backend: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Backend {
            backend,
            source: source.into(),
        }
    }

    /// True for [`Error::NotFound`].
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound(_))
    }
}
