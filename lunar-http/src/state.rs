//! The state shared by every handler.

use std::ops::Deref;
use std::sync::Arc;

use lunar_core::{Engine, Functions};

use crate::auth::AuthMode;

/// Handler state; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct AppState(pub(crate) Arc<Shared>);

/// What handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The execution engine (and its stores, config, clock).
    pub(crate) engine: Engine,
    /// The management operations the REST API exposes (validation, cascades, cron).
    pub(crate) functions: Functions,
    /// Authentication of protected routes.
    pub(crate) auth: AuthMode,
    /// Base URL without a trailing `/` (e.g. `https://example.com/lunar`).
    pub(crate) base_url: Option<String>,
    /// Path of the base URL without a trailing `/` (`/lunar`, or `""`).
    pub(crate) base_path: String,
    /// The login cookie gets `Secure`.
    pub(crate) secure_cookie: bool,
    /// Largest accepted REST request body.
    pub(crate) max_request_body_bytes: u64,
    /// The dashboard is served at the mount root (feature `dashboard`).
    #[cfg_attr(not(feature = "dashboard"), allow(dead_code))]
    pub(crate) dashboard: bool,
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Splits a base URL into its path (no trailing `/`) and whether it is `https`.
pub(crate) fn base_path_of(base_url: &str) -> (String, bool) {
    let secure = base_url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    let path = match base_url.find("://") {
        Some(i) => {
            let rest = &base_url[i + 3..];
            match rest.find('/') {
                Some(j) => &rest[j..],
                None => "",
            }
        }
        None => base_url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    (path.trim_end_matches('/').to_owned(), secure)
}

#[cfg(test)]
mod tests {
    use super::base_path_of;

    #[test]
    fn base_paths() {
        assert_eq!(base_path_of("https://e.com/lunar"), ("/lunar".into(), true));
        assert_eq!(base_path_of("http://e.com"), (String::new(), false));
        assert_eq!(base_path_of("http://e.com/"), (String::new(), false));
        assert_eq!(base_path_of("HTTPS://e.com/a/b/"), ("/a/b".into(), true));
    }
}
