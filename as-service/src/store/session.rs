//! Login sessions: the `sid` of each login with the grants it holds (so
//! that a logout ends them), and the browser session that a login made at
//! the authorization endpoint leaves behind, found again by its cookie.
use async_trait::async_trait;

use super::StoreResult;

/// One client's part in a login session (OIDC Back-Channel Logout §2.1):
/// the grant its tokens belong to and the `sub` it knows the user by.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionMember {
    pub client_id: String,
    pub grant_id: String,
    pub subject: String,
}

/// Login sessions (`sid`): which grants each one holds, so that ending it
/// ends them (OIDC RP-Initiated Logout §2, Back-Channel Logout §2.7).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Adds a grant to session `sid` (once: joining again only keeps the
    /// session longer), kept at least until `expires_at`; `false` (and
    /// nothing added) if the session has ended.
    async fn join_session(
        &self,
        sid: &str,
        member: SessionMember,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool>;
    /// Atomically ends session `sid`: its members, once (ending it again
    /// finds none), and no grant joins it until `ended_until`. The browser
    /// session of `sid`, if there is one, is forgotten in the same step:
    /// its cookie logs no one in again.
    async fn end_session(
        &self,
        sid: &str,
        ended_until: i64,
        now: i64,
    ) -> StoreResult<Vec<SessionMember>>;
}

/// A browser's login at the authorization endpoint: who authenticated,
/// when (`auth_time`, OIDC Core §2), how (`acr`), and the `sid` the ID
/// tokens issued in it carry. Kept by the fingerprint of its cookie's
/// value until `expires_at`, or until session `sid` ends.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BrowserSession {
    pub sid: String,
    pub user: String,
    pub auth_time: i64,
    pub acr: Option<String>,
    pub expires_at: i64,
}

/// Browser sessions, by the fingerprint of their cookie; ended with their
/// `sid` ([`SessionStore::end_session`]).
#[async_trait]
pub trait BrowserSessionStore: Send + Sync {
    /// Keeps `session` under `fingerprint` until it expires; `false` (and
    /// nothing kept) if its `sid` has ended already.
    async fn put_browser_session(
        &self,
        fingerprint: String,
        session: BrowserSession,
        now: i64,
    ) -> StoreResult<bool>;
    /// The session a cookie stands for, while it is unexpired and its
    /// `sid` has not ended.
    async fn browser_session(
        &self,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<Option<BrowserSession>>;
}
