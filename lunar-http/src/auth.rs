//! Authentication of protected routes: the API key as a bearer token, and
//! stateless signed session cookies issued by `POST /api/auth/login`.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use http::header::{AUTHORIZATION, COOKIE};
use http::request::Parts;
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Name of the session cookie.
pub(crate) const COOKIE_NAME: &str = "auth_token";
/// Session lifetime in seconds.
pub(crate) const SESSION_SECONDS: i64 = 86_400;
/// Message of a refused request.
pub(crate) const AUTH_REQUIRED: &str = "Authentication required";

/// Decides whether a request to a protected route may proceed (for [`Auth::Custom`]).
///
/// ```
/// use async_trait::async_trait;
/// use http::request::Parts;
/// use lunar_http::Authenticator;
///
/// /// Lets through requests carrying a fixed header.
/// #[derive(Debug)]
/// struct HeaderAuth;
///
/// #[async_trait]
/// impl Authenticator for HeaderAuth {
///     async fn authorize(&self, parts: &Parts) -> bool {
///         parts.headers.get("x-admin").is_some_and(|v| v == "yes")
///     }
/// }
/// ```
#[async_trait]
pub trait Authenticator: fmt::Debug + Send + Sync + 'static {
    /// True when the request may use the protected route.
    async fn authorize(&self, parts: &Parts) -> bool;
}

/// How protected routes are authenticated.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// The API key (bearer token) or a session cookie from `POST /api/auth/login`.
    ApiKey(String),
    /// Every route is open (the host protects the mount itself); auth routes answer 404.
    Disabled,
    /// The host's authenticator decides on protected routes; auth routes answer 404.
    Custom(Arc<dyn Authenticator>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            Self::Disabled => f.write_str("Disabled"),
            Self::Custom(a) => f.debug_tuple("Custom").field(a).finish(),
        }
    }
}

/// The resolved authentication mode.
pub(crate) enum AuthMode {
    /// API key and the derived session key.
    ApiKey { key: Vec<u8>, session_key: [u8; 32] },
    /// Open.
    Disabled,
    /// Host decides.
    Custom(Arc<dyn Authenticator>),
}

impl fmt::Debug for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey { .. } => f.write_str("ApiKey(<redacted>)"),
            Self::Disabled => f.write_str("Disabled"),
            Self::Custom(a) => f.debug_tuple("Custom").field(a).finish(),
        }
    }
}

impl AuthMode {
    /// Resolves the builder's setting.
    pub(crate) fn new(auth: Auth) -> Self {
        match auth {
            Auth::ApiKey(key) => {
                let session_key = hmac(key.as_bytes(), b"lunar session v1");
                Self::ApiKey {
                    key: key.into_bytes(),
                    session_key,
                }
            }
            Auth::Disabled => Self::Disabled,
            Auth::Custom(a) => Self::Custom(a),
        }
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Issues a session token `v1.<sid>.<exp>.<sig>` valid until `now + 86400`.
pub(crate) fn issue_token(session_key: &[u8; 32], now: i64) -> String {
    let mut sid = [0u8; 16];
    rand::rng().fill_bytes(&mut sid);
    let exp = now.saturating_add(SESSION_SECONDS);
    let payload = format!("v1.{}.{exp}", URL_SAFE_NO_PAD.encode(sid));
    let sig = URL_SAFE_NO_PAD.encode(hmac(session_key, payload.as_bytes()));
    format!("{payload}.{sig}")
}

/// True when `token` is well formed, its signature verifies and it has not expired.
pub(crate) fn verify_token(session_key: &[u8; 32], token: &str, now: i64) -> bool {
    let Some((payload, sig)) = token.rsplit_once('.') else {
        return false;
    };
    let mut parts = payload.split('.');
    let (Some("v1"), Some(sid), Some(exp), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if sid.is_empty() {
        return false;
    }
    let Ok(exp) = exp.parse::<i64>() else {
        return false;
    };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
        return false;
    };
    let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(session_key) else {
        return false;
    };
    mac.update(payload.as_bytes());
    mac.verify_slice(&sig).is_ok() && exp > now
}

/// The values of every `auth_token` cookie in the request.
fn session_cookies(parts: &Parts) -> impl Iterator<Item = &str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            (name == COOKIE_NAME).then_some(value)
        })
}

/// True when the `Authorization` header is `Bearer <key>` (split at the first space).
fn bearer_matches(parts: &Parts, key: &[u8]) -> bool {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return false;
    };
    let bytes = value.as_bytes();
    let Some(space) = bytes.iter().position(|b| *b == b' ') else {
        return false;
    };
    let (scheme, rest) = (&bytes[..space], &bytes[space + 1..]);
    scheme == b"Bearer" && !key.is_empty() && bool::from(rest.ct_eq(key))
}

impl AuthMode {
    /// Whether a request to a protected route may pass, at Unix second `now`.
    pub(crate) async fn allows(&self, parts: &Parts, now: i64) -> bool {
        match self {
            AuthMode::Disabled => true,
            AuthMode::Custom(a) => a.authorize(parts).await,
            AuthMode::ApiKey { key, session_key } => {
                session_cookies(parts).any(|t| verify_token(session_key, t, now))
                    || bearer_matches(parts, key)
            }
        }
    }
}

/// True when `key` equals the configured API key (constant time).
pub(crate) fn key_matches(expected: &[u8], given: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() {
        let k = hmac(b"secret", b"lunar session v1");
        let t = issue_token(&k, 1000);
        assert!(t.starts_with("v1."));
        assert_eq!(t.split('.').count(), 4);
        assert!(verify_token(&k, &t, 1000));
        assert!(verify_token(&k, &t, 1000 + SESSION_SECONDS - 1));
        assert!(!verify_token(&k, &t, 1000 + SESSION_SECONDS));
        let other = hmac(b"other", b"lunar session v1");
        assert!(!verify_token(&other, &t, 1000));
        let mut parts: Vec<&str> = t.split('.').collect();
        let later = (1000 + 2 * SESSION_SECONDS).to_string();
        parts[2] = &later;
        assert!(!verify_token(&k, &parts.join("."), 1000));
        assert!(!verify_token(&k, "v1.a.b", 0));
        assert!(!verify_token(&k, "", 0));
    }
}
