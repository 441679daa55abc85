//! API keys: their format, scopes, how they are made ([`generate_api_key`]) and how a request's
//! key is checked (the `require` middleware).
//!
//! A secret is `vgk_<id>_<43 chars>`: the public key id, then 32 random bytes in unpadded
//! base64url. Only SHA-256 of the whole secret is stored. A request sends it as
//! `Authorization: Bearer <secret>`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use vigia_store::ApiKeyRow;

use crate::ApiError;
use crate::key_cache::KeyCache;
use crate::rate_limit::RateLimit;

/// Prefix of every secret.
const SECRET_PREFIX: &str = "vgk_";
/// Length of the random part: 32 bytes in unpadded base64url.
const RANDOM_CHARS: usize = 43;
/// Length of a key id: 12 lowercase hex digits (48 random bits).
const ID_CHARS: usize = 12;

/// What a key may do. Each scope implies the ones below it: `read` < `operate` < `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read state, agents, observations.
    Read,
    /// Act on the network through the API: create, replace and delete maintenance windows
    /// (acknowledging, silencing... would come here too).
    Operate,
    /// Manage the aggregator itself.
    Admin,
}

impl Scope {
    /// Every scope, lowest first.
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Operate, Scope::Admin];

    /// The name as stored and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Operate => "operate",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name that is not `read`, `operate` or `admin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?} (expected read, operate or admin)")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "read" => Ok(Self::Read),
            "operate" => Ok(Self::Operate),
            "admin" => Ok(Self::Admin),
            other => Err(UnknownScope(other.to_owned())),
        }
    }
}

/// The highest scope named in a stored row (unknown names are ignored: they grant nothing).
pub fn highest_scope(scopes: &[String]) -> Option<Scope> {
    scopes.iter().filter_map(|s| s.parse::<Scope>().ok()).max()
}

/// Makes a new key: the row to store (with only the hash of the secret) and the secret to show
/// the operator once. `expires_at_ms` is Unix ms. Scopes are stored deduplicated, lowest first.
pub fn generate_api_key(
    name: &str,
    scopes: &[Scope],
    expires_at_ms: Option<u64>,
) -> (ApiKeyRow, String) {
    let mut rng = rand::rng();
    let mut id_bytes = [0u8; ID_CHARS / 2];
    rng.fill_bytes(&mut id_bytes);
    let id: String = id_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut random = [0u8; 32];
    rng.fill_bytes(&mut random);
    let secret = format!("{SECRET_PREFIX}{id}_{}", URL_SAFE_NO_PAD.encode(random));
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let row = ApiKeyRow {
        id,
        name: name.to_owned(),
        hash: hash_secret(&secret),
        scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        created_at_ms: now_ms(),
        expires_at_ms,
        revoked_at_ms: None,
    };
    (row, secret)
}

/// SHA-256 of the whole secret, as stored.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The key id of a well-formed secret; `None` when it does not have the `vgk_<id>_<random>` shape.
pub fn secret_key_id(secret: &str) -> Option<&str> {
    let rest = secret.strip_prefix(SECRET_PREFIX)?;
    let (id, random) = rest.split_once('_')?;
    let id_ok = id.len() == ID_CHARS && id.bytes().all(|b| b.is_ascii_hexdigit());
    let random_ok = random.len() == RANDOM_CHARS
        && random
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && random_ok).then_some(id)
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The key a request was authenticated with (a request extension for handlers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key's public id.
    pub key_id: String,
    /// The key's highest scope.
    pub scope: Scope,
}

/// Checks keys and rate limits: shared by every protected route.
pub(crate) struct Guard {
    pub(crate) keys: KeyCache,
    pub(crate) limits: RateLimit,
}

impl Guard {
    /// The caller, or why it is refused.
    pub(crate) async fn authorize(
        &self,
        headers: &HeaderMap,
        required: Scope,
    ) -> Result<Caller, ApiError> {
        let secret = bearer(headers)?;
        let claimed_id = secret_key_id(secret).ok_or(ApiError::InvalidApiKey)?;
        let hash = hash_secret(secret);
        let row = self
            .keys
            .lookup(hash)
            .await?
            .ok_or(ApiError::InvalidApiKey)?;
        // The row was found by hash; comparing again (in constant time) guards against a store
        // that matches loosely, and ties the id in the secret to the row.
        let same_hash: bool = row.hash.ct_eq(&hash).into();
        let same_id: bool = row.id.as_bytes().ct_eq(claimed_id.as_bytes()).into();
        let now = now_ms();
        let live = row.revoked_at_ms.is_none() && row.expires_at_ms.is_none_or(|at| now < at);
        if !(same_hash && same_id && live) {
            return Err(ApiError::InvalidApiKey);
        }
        let scope = highest_scope(&row.scopes).ok_or(ApiError::InsufficientScope { required })?;
        if scope < required {
            return Err(ApiError::InsufficientScope { required });
        }
        self.limits.check(&row.id)?;
        Ok(Caller {
            key_id: row.id.clone(),
            scope,
        })
    }
}

/// The bearer token of the request: missing header → `missing_api_key`; anything but
/// `Bearer <token>` → `invalid_api_key`.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers.get(AUTHORIZATION).ok_or(ApiError::MissingApiKey)?;
    let value = value.to_str().map_err(|_| ApiError::InvalidApiKey)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::InvalidApiKey)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::InvalidApiKey);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::InvalidApiKey);
    }
    Ok(token)
}

/// Middleware: lets the request through only with a live key holding `scope`, within its
/// rate limit; inserts the [`Caller`] into the request's extensions.
pub(crate) async fn require(
    State((guard, scope)): State<(Arc<Guard>, Scope)>,
    mut request: Request,
    next: Next,
) -> Response {
    match guard.authorize(request.headers(), scope).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_has_the_documented_shape_and_hash() {
        let (row, secret) = generate_api_key("grafana", &[Scope::Read, Scope::Read], Some(5));
        assert_eq!(secret_key_id(&secret), Some(row.id.as_str()));
        assert_eq!(secret.len(), 4 + ID_CHARS + 1 + RANDOM_CHARS);
        assert_eq!(row.hash, hash_secret(&secret));
        assert_eq!(row.scopes, vec!["read".to_owned()]);
        assert_eq!(row.expires_at_ms, Some(5));
        assert_eq!(row.name, "grafana");
        let (other, other_secret) = generate_api_key("grafana", &[Scope::Read], None);
        assert_ne!(other.id, row.id);
        assert_ne!(other_secret, secret);
    }

    #[test]
    fn malformed_secrets_are_refused() {
        for bad in [
            "",
            "vgk_",
            "vgk_0123456789ab",
            "vgk_0123456789ab_short",
            "xyz_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "vgk_0123456789zz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "vgk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            assert_eq!(secret_key_id(bad), None, "{bad:?}");
        }
        let good = "vgk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_A";
        assert_eq!(secret_key_id(good), Some("0123456789ab"));
    }

    #[test]
    fn scopes_parse_and_order() {
        assert_eq!("operate".parse::<Scope>(), Ok(Scope::Operate));
        assert!("root".parse::<Scope>().is_err());
        assert!(Scope::Read < Scope::Operate && Scope::Operate < Scope::Admin);
        let stored = vec!["read".to_owned(), "bogus".to_owned(), "admin".to_owned()];
        assert_eq!(highest_scope(&stored), Some(Scope::Admin));
        assert_eq!(highest_scope(&["bogus".to_owned()]), None);
    }
}
