//! REST API keys as stored: only a hash of the secret, its scopes and its life, behind
//! [`ApiKeyStore`]. Making and checking keys is the API's business (`vigia-api`).

use async_trait::async_trait;

use crate::StoreError;

/// One API key. The secret itself is never stored: `hash` is SHA-256 of it (the secret is 256
/// random bits, so a fast hash is enough; no password-style stretching is needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Public id of the key (shown in listings and logs; also the secret's prefix).
    pub id: String,
    /// What the operator called it (who or what uses it).
    pub name: String,
    /// SHA-256 of the secret; unique.
    pub hash: [u8; 32],
    /// Scopes, each `read`, `operate` or `admin`.
    pub scopes: Vec<String>,
    pub created_at_ms: u64,
    /// When it stops working, if it expires.
    pub expires_at_ms: Option<u64>,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<u64>,
}

/// Storage of API keys.
#[async_trait]
pub trait ApiKeyStore: Send + Sync + 'static {
    /// Stores a new key; fails with [`StoreError::Conflict`] if its id or hash exists.
    async fn create_api_key(&self, key: ApiKeyRow) -> Result<(), StoreError>;

    /// The key with this secret hash, revoked or not.
    async fn api_key_by_hash(&self, hash: [u8; 32]) -> Result<Option<ApiKeyRow>, StoreError>;

    /// Every key, ordered by creation time (then by id).
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError>;

    /// Marks a key revoked at `at_ms`; false when no key has this id. Revoking twice keeps the
    /// first time.
    async fn revoke_api_key(&self, id: &str, at_ms: u64) -> Result<bool, StoreError>;
}
