//! What the AS remembers between requests, behind narrow async traits (one
//! per concern, so each handler states what it needs), with an in-memory
//! implementation. Bearer values (codes, refresh tokens) are kept by their
//! SHA-256 fingerprint only.
//!
//! Every operation that guards a single-use or rotation guarantee is one
//! atomic step of the store: taking a code, rotating a refresh token.
//!
//! Every operation can fail ([`StoreError`]): a shared store may be out of
//! reach. Handlers answer a failure with `temporarily_unavailable` and hand
//! out nothing whose record was not stored.
pub mod memory;
pub mod redis;
mod session;

use std::sync::Arc;

use async_trait::async_trait;
use oauth_core::pkce;
use oauth_core::scope::Scope;

pub use memory::MemoryStore;
pub use redis::RedisStore;
pub use session::{BrowserSession, BrowserSessionStore, SessionMember, SessionStore};

use crate::config::Client;

/// The store could not do what was asked (a shared store out of reach, a
/// record that cannot be encoded). The cause is for logs only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub operation: &'static str,
    pub cause: String,
}

impl StoreError {
    pub fn new(operation: &'static str, cause: impl std::fmt::Display) -> Self {
        Self {
            operation,
            cause: cause.to_string(),
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "store operation {} failed: {}",
            self.operation, self.cause
        )
    }
}

impl std::error::Error for StoreError {}

/// A store failure as the client sees it: 503 `temporarily_unavailable`
/// with `Retry-After` (RFC 6749 §4.1.2.1, RFC 9110 §10.2.3); the failure
/// is its log-only cause, logged with the refusal, never sent.
impl From<StoreError> for oauth_core::error::OAuthError {
    fn from(e: StoreError) -> Self {
        oauth_core::error::OAuthError::temporarily_unavailable(
            "the server cannot reach its store; try again shortly",
            1,
        )
        .with_cause(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What an authorization code stands for (RFC 6749 §4.1.2: bound to the
/// client, the redirect URI, the user, the scope and the PKCE challenge).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    /// Whether the authorization request named the redirect URI; if it did,
    /// the token request must name the same one (RFC 6749 §4.1.3).
    pub redirect_uri_sent: bool,
    pub scope: Scope,
    /// The `sub` this client knows the user by (public or pairwise).
    pub subject: String,
    /// The user's local name, to find their claims.
    pub user: String,
    pub auth_time: i64,
    pub acr: Option<String>,
    pub nonce: Option<String>,
    /// The `claims` request parameter (OIDC Core §5.5), as JSON.
    pub claims: Option<String>,
    pub code_challenge: Option<(String, pkce::Method)>,
    /// RFC 9449 §10: the DPoP key the code is bound to (`dpop_jkt`).
    pub dpop_jkt: Option<String>,
    /// The resources and authorization details the request named.
    #[serde(default, skip_serializing_if = "TokenTarget::is_empty")]
    pub target: TokenTarget,
    /// The login session it was issued in (OIDC Back-Channel Logout §2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub expires_at: i64,
}

/// What a grant's access tokens may be for beyond their scope: the
/// resources named (RFC 8707 §2), and the authorization details granted
/// (RFC 9396 §2) as canonical JSON. A token request may narrow both, never
/// widen them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenTarget {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<String>,
}

impl TokenTarget {
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.authorization_details.is_none()
    }
}

/// The outcome of redeeming a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeTake {
    /// First use: the code is now spent, recorded as having minted `grant_id`.
    Fresh(Box<CodeGrant>),
    /// Second use: the grant the first use minted has been revoked with it.
    Replayed { grant_id: String },
    /// Never issued, or long gone.
    Unknown,
}

/// A grant: one user's (or client's) authorization to one client, the root
/// of a token family (the refresh tokens and access tokens minted from it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GrantRecord {
    pub grant_id: String,
    pub client_id: String,
    pub subject: String,
    pub user: String,
    pub scope: Scope,
    /// The `claims` request (OIDC Core §5.5), as JSON, for the UserInfo endpoint.
    pub claims: Option<String>,
    pub auth_time: i64,
    pub acr: Option<String>,
    /// The resources and authorization details granted.
    #[serde(default, skip_serializing_if = "TokenTarget::is_empty")]
    pub target: TokenTarget,
    /// The login session it belongs to, if any (OIDC Back-Channel Logout §2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// When the last token minted from it expires; the record may go after.
    pub expires_at: i64,
    pub revoked: bool,
}

/// A refresh token as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    pub grant_id: String,
    pub expires_at: i64,
    /// Spent by rotation: presenting it again is reuse.
    pub rotated: bool,
    /// The DPoP key a public client's refresh token is bound to (RFC 9449 §5).
    pub jkt: Option<String>,
}

/// A pushed authorization request (RFC 9126 §2): the parameters, for the
/// client that pushed them, until they are used or expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRequest {
    pub client_id: String,
    pub params: Vec<(String, String)>,
    pub expires_at: i64,
}

/// The outcome of using a request_uri.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParTake {
    Fresh(PushedRequest),
    /// Pushed by another client: left in place for its owner.
    WrongClient,
    Expired,
    /// Never pushed, or already used.
    Unknown,
}

/// The outcome of rotating a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The old token is spent; the new one is stored. The grant, for minting.
    Rotated(Box<GrantRecord>),
    /// The old token was already spent: the whole family has been revoked.
    Reused {
        grant_id: String,
    },
    Expired,
    /// Its grant was revoked.
    Revoked,
    Unknown,
}

#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Stores an unused code, unless its client already has `max_outstanding`
    /// unused, unexpired codes (then `false`, and nothing is stored).
    async fn put_code(
        &self,
        fingerprint: String,
        grant: CodeGrant,
        max_outstanding: usize,
        now: i64,
    ) -> StoreResult<bool>;
    /// Atomically spends an unused code, recording `grant_id` as what it
    /// minted; a spent code revokes that grant and reports the replay.
    async fn take_code(&self, fingerprint: &str, grant_id: &str) -> StoreResult<CodeTake>;
}

#[async_trait]
pub trait GrantStore: Send + Sync {
    async fn put_grant(&self, grant: GrantRecord) -> StoreResult<()>;
    async fn grant(&self, grant_id: &str) -> StoreResult<Option<GrantRecord>>;
    /// Revokes a grant, and with it every token minted from it.
    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()>;
    /// Pushes the grant's expiry out to cover a newly minted token.
    async fn extend_grant(&self, grant_id: &str, expires_at: i64) -> StoreResult<()>;
}

#[async_trait]
pub trait RefreshTokenStore: Send + Sync {
    async fn put_refresh(&self, fingerprint: String, record: RefreshRecord) -> StoreResult<()>;
    async fn refresh(&self, fingerprint: &str) -> StoreResult<Option<RefreshRecord>>;
    /// Atomically spends `old` and stores `new` in its place (RFC 9700
    /// §4.14.2 rotation); reuse of a spent token revokes the family. The new
    /// token keeps the old one's DPoP key, or is bound to `bind_jkt` when
    /// the old one had none (RFC 9449 §5: a public client's refresh token
    /// is bound from the first proof on).
    async fn rotate_refresh(
        &self,
        old: &str,
        new: String,
        new_expires_at: i64,
        now: i64,
        bind_jkt: Option<&str>,
    ) -> StoreResult<Rotation>;
}

#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Remembers a revoked access token until it would have expired anyway.
    async fn revoke_access_token(&self, jti: String, expires_at: i64) -> StoreResult<()>;
    async fn is_access_token_revoked(&self, jti: &str) -> StoreResult<bool>;
}

#[async_trait]
pub trait ParStore: Send + Sync {
    async fn put_pushed(&self, request_uri: String, request: PushedRequest) -> StoreResult<()>;
    /// Atomically takes a pushed request, if it is this client's (single use).
    async fn take_pushed(
        &self,
        request_uri: &str,
        client_id: &str,
        now: i64,
    ) -> StoreResult<ParTake>;
}

/// Values that may be seen once (DPoP proof jti, client assertion jti).
#[async_trait]
pub trait ReplayStore: Send + Sync {
    /// Records `key` until `expires_at`; `false` if it was already there.
    /// Keys are kept by fingerprint, so their length costs nothing.
    async fn remember_once(&self, key: &str, expires_at: i64, now: i64) -> StoreResult<bool>;
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Registers a client until `expires_at` (unless it is used again, see
    /// [`ClientStore::touch_client`]), unless `max` unexpired clients are
    /// registered already (then `false`).
    async fn register_client(
        &self,
        client: Arc<Client>,
        expires_at: i64,
        max: usize,
        now: i64,
    ) -> StoreResult<bool>;
    /// A registered client, unexpired; being used, it is now kept at least
    /// until `keep_until`.
    async fn registered_client(
        &self,
        client_id: &str,
        now: i64,
        keep_until: i64,
    ) -> StoreResult<Option<Arc<Client>>>;
}

/// Opaque access tokens (when so configured): what each stands for, by
/// fingerprint, until it expires.
#[async_trait]
pub trait AccessTokenStore: Send + Sync {
    /// `claims` is the token's record as JSON (its RFC 9068 claims).
    async fn put_access_token(
        &self,
        fingerprint: String,
        claims: String,
        expires_at: i64,
    ) -> StoreResult<()>;
    async fn access_token(&self, fingerprint: &str, now: i64) -> StoreResult<Option<String>>;
}

/// Where a device authorization stands (RFC 8628 §3.3, §3.5).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DeviceState {
    /// The user has not yet entered the code.
    Pending,
    /// The user approved, logged in as `user`.
    Approved(DeviceApproval),
    Denied,
}

/// Who approved a device authorization, and how they were authenticated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceApproval {
    pub user: String,
    /// The `sub` the client knows the user by.
    pub subject: String,
    pub auth_time: i64,
    pub acr: Option<String>,
}

/// A device authorization (RFC 8628 §3.2): for one client and scope, until
/// it expires. The device code and the user code are kept by fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceGrant {
    pub client_id: String,
    pub scope: Scope,
    /// The resources and authorization details the request named; absent
    /// from records stored before they were kept, which read as none.
    #[serde(default, skip_serializing_if = "TokenTarget::is_empty")]
    pub target: TokenTarget,
    pub expires_at: i64,
    /// Seconds between polls; grows by 5 at each `slow_down` (§3.5).
    pub interval: i64,
    pub state: DeviceState,
}

/// The outcome of a poll at the token endpoint (RFC 8628 §3.4, §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// Approved: the device code is now spent; the grant, for minting.
    Approved(Box<DeviceGrant>),
    Pending,
    /// Polled sooner than the interval allows: the interval is now this.
    SlowDown {
        interval: i64,
    },
    Denied,
    Expired,
    /// Issued to another client: left as it was.
    WrongClient,
    /// Never issued, or already redeemed.
    Unknown,
}

/// The outcome of the user's decision on a user code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceDecision {
    /// Recorded; the user code is spent.
    Decided(Box<DeviceGrant>),
    /// Unknown, expired or already used.
    Unknown,
}

#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a pending device authorization under both codes, unless the
    /// user code is already in use (then `false`, and nothing is stored).
    async fn put_device(
        &self,
        device_code: String,
        user_code: String,
        grant: DeviceGrant,
        now: i64,
    ) -> StoreResult<bool>;
    /// The pending authorization a user code stands for, unexpired.
    async fn device_by_user_code(
        &self,
        user_code: &str,
        now: i64,
    ) -> StoreResult<Option<DeviceGrant>>;
    /// Atomically records the user's decision (`Approved` or `Denied`) on a
    /// pending, unexpired authorization and spends the user code.
    async fn decide_device(
        &self,
        user_code: &str,
        decision: DeviceState,
        now: i64,
    ) -> StoreResult<DeviceDecision>;
    /// One poll, atomically: judged against the interval (milliseconds,
    /// so that a poll a moment too early is told apart from one on time),
    /// recorded as the last poll, and an approved authorization spent.
    async fn poll_device(
        &self,
        device_code: &str,
        client_id: &str,
        now_ms: i64,
    ) -> StoreResult<DevicePoll>;
}

/// Counters over a fixed window (rate limits, failed password attempts).
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Adds one to the counter `key`, which starts (at zero) when first hit
    /// and ends at `window_ends_at`; returns the count and when its window ends.
    async fn hit(&self, key: &str, window_ends_at: i64, now: i64) -> StoreResult<(u64, i64)>;
    /// Gives one hit back (never below zero) while the window lasts: an
    /// attempt counted before it was judged, that turned out right.
    async fn forgive(&self, key: &str, now: i64) -> StoreResult<()>;
    /// The counter's value now, and when its window ends (0 and `now` when none).
    async fn count(&self, key: &str, now: i64) -> StoreResult<(u64, i64)>;
}

/// Everything the AS stores.
#[async_trait]
pub trait Store:
    CodeStore
    + GrantStore
    + RefreshTokenStore
    + RevocationStore
    + ClientStore
    + ParStore
    + ReplayStore
    + ThrottleStore
    + AccessTokenStore
    + DeviceStore
    + SessionStore
    + BrowserSessionStore
{
    /// Forgets what has expired: codes, refresh tokens, revocations, grants.
    async fn purge_expired(&self, now: i64);
}

#[cfg(test)]
mod tests {
    use oauth_core::error::OAuthError;

    use super::StoreError;

    /// A store failure is 503 temporarily_unavailable; what failed is the
    /// error's log-only cause, never in the body.
    #[test]
    fn a_store_failure_keeps_its_cause_out_of_the_response() {
        let e = OAuthError::from(StoreError::new(
            "take_code",
            "Connection refused (os error 111) at 10.0.0.7:6379",
        ));
        assert_eq!(e.status, 503);
        assert!(e.cause().is_some_and(|c| c.contains("take_code")));
        assert!(format!("{e:?}").contains("10.0.0.7"));
        let response = e.to_response();
        assert!(!response.body.contains("10.0.0.7"), "{}", response.body);
        assert!(!response.body.contains("take_code"), "{}", response.body);
        assert!(response.headers.values().all(|v| !v.contains("10.0.0.7")));
    }
}
