//! The crate's private error type and its conversion into [`lunar_core::Error`].

use lunar_core::Error;
use lunar_core::error::BoxError;

/// Everything that can go wrong inside a SQL store before it reaches the trait boundary.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SqlError {
    /// The driver failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back.
    #[error("column `{column}` holds an invalid value")]
    Corrupt {
        /// The column read.
        column: &'static str,
        /// Why it could not be decoded, when known.
        #[source]
        source: Option<BoxError>,
    },
    /// A meaning-level outcome decided by the store (`NotFound`, `Conflict`...).
    #[error(transparent)]
    Core(#[from] Error),
}

/// Result of the stores' internal operations.
pub(crate) type SqlResult<T> = std::result::Result<T, SqlError>;

impl SqlError {
    /// A stored value in `column` failed to decode.
    pub(crate) fn corrupt(column: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Corrupt {
            column,
            source: Some(source.into()),
        }
    }

    /// Turns a unique-key violation into `AlreadyExists(what)`.
    pub(crate) fn unique_as(self, what: &str) -> Self {
        match self {
            Self::Sqlx(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Self::Core(Error::AlreadyExists(what.to_owned()))
            }
            other => other,
        }
    }

    /// Turns a foreign-key violation (the parent row is missing) into `NotFound(what)`.
    pub(crate) fn parent_missing_as(self, what: &'static str) -> Self {
        match self {
            Self::Sqlx(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                Self::Core(Error::NotFound(what))
            }
            other => other,
        }
    }

    /// For a row that belongs to an execution: a unique-key violation is
    /// `AlreadyExists(what)`, a missing execution `NotFound("execution")`.
    pub(crate) fn execution_row_as(self, what: &str) -> Self {
        self.unique_as(what).parent_missing_as("execution")
    }

    /// For an execution insert: a duplicate id is `AlreadyExists("execution")`, a missing
    /// version `NotFound("version")`.
    pub(crate) fn execution_insert(self) -> Self {
        self.unique_as("execution").parent_missing_as("version")
    }

    /// Converts into the error every Lunar trait returns, keeping the driver error as the
    /// source. A unique violation not mapped by the caller still becomes `AlreadyExists`.
    pub(crate) fn into_core(self, backend: &'static str) -> Error {
        match self {
            Self::Core(e) => e,
            Self::Sqlx(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Error::AlreadyExists(db.table().unwrap_or("row").to_owned())
            }
            Self::Sqlx(e) => Error::backend(backend, e),
            Self::Migrate(e) => Error::backend(backend, e),
            corrupt @ Self::Corrupt { .. } => Error::backend(backend, corrupt),
        }
    }
}
