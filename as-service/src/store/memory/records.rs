//! The in-memory store's records: grants and refresh tokens kept compact
//! (fixed-size keys, interned strings), codes with their state.
use std::collections::HashMap;
use std::sync::Arc;

use super::super::{
    CodeGrant, DeviceGrant, GrantRecord, PushedRequest, RefreshRecord, TokenTarget,
};
use crate::config::Client;

#[derive(Debug)]
pub(super) enum CodeState {
    Unused(Box<CodeGrant>),
    Spent { grant_id: String },
}

#[derive(Debug)]
pub(super) struct CodeEntry {
    pub(super) expires_at: i64,
    /// The client it was issued to, while unused (for the per-client cap).
    pub(super) client: Option<Arc<str>>,
    pub(super) state: CodeState,
}

/// A map key that needs no allocation: a short id inline (its length
/// first), a longer one (a fingerprint) by its SHA-256 (first byte 0xFF, so
/// the two forms never meet). Grants and refresh tokens are the state that
/// grows with use, so their maps hold fixed-size keys and compact values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Key([u8; 32]);

impl Key {
    pub(super) fn of(id: &str) -> Self {
        let bytes = id.as_bytes();
        let mut key = [0u8; 32];
        if bytes.len() < 32 {
            key[0] = bytes.len() as u8;
            key[1..=bytes.len()].copy_from_slice(bytes);
        } else {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
            key.copy_from_slice(digest.as_ref());
            key[0] = 0xFF;
        }
        Self(key)
    }

    /// The id back, for keys made from short ids (grant ids are 22
    /// characters, well under the 31 kept inline).
    pub(super) fn id(&self) -> String {
        let len = usize::from(self.0[0]).min(31);
        String::from_utf8_lossy(&self.0[1..=len]).into_owned()
    }
}

/// A grant as kept: strings that repeat across grants (client, user, scope,
/// acr) shared through the interner.
#[derive(Debug)]
pub(super) struct StoredGrant {
    pub(super) client_id: Arc<str>,
    pub(super) subject: Arc<str>,
    pub(super) user: Arc<str>,
    pub(super) scope: Arc<str>,
    pub(super) claims: Option<Arc<str>>,
    pub(super) acr: Option<Arc<str>>,
    /// Rare (resource indicators, authorization details): a pointer when absent.
    pub(super) target: Option<Box<TokenTarget>>,
    /// The login session, for OIDC clients.
    pub(super) sid: Option<Arc<str>>,
    pub(super) auth_time: i64,
    pub(super) expires_at: i64,
    pub(super) revoked: bool,
}

#[derive(Debug)]
pub(super) struct StoredRefresh {
    pub(super) grant: Key,
    pub(super) expires_at: i64,
    pub(super) rotated: bool,
    pub(super) jkt: Option<Arc<str>>,
}

/// A device authorization as kept, by its device code's fingerprint.
#[derive(Debug)]
pub(super) struct DeviceEntry {
    pub(super) grant: DeviceGrant,
    /// When it was last polled, milliseconds.
    pub(super) last_poll_ms: Option<i64>,
    /// Redeemed for tokens: kept until it expires, as unknown.
    pub(super) redeemed: bool,
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    pub(super) codes: HashMap<String, CodeEntry>,
    pub(super) devices: HashMap<String, DeviceEntry>,
    /// User code fingerprint -> device code fingerprint and expiry.
    pub(super) user_codes: HashMap<String, (String, i64)>,
    pub(super) grants: HashMap<Key, StoredGrant>,
    pub(super) refresh: HashMap<Key, StoredRefresh>,
    pub(super) strings: std::collections::HashSet<Arc<str>>,
    pub(super) revoked_access_tokens: HashMap<String, i64>,
    /// Registered clients and when they expire unless used.
    pub(super) clients: HashMap<String, (Arc<Client>, i64)>,
    pub(super) pushed: HashMap<String, PushedRequest>,
    /// Replay cache: fingerprints of seen values, until when.
    pub(super) seen: HashMap<Key, i64>,
    /// Unused codes per client.
    pub(super) outstanding: HashMap<Arc<str>, usize>,
    /// Throttle counters: count and end of window.
    pub(super) counters: HashMap<Key, (u64, i64)>,
    /// Opaque access tokens: their claims (JSON) and expiry.
    pub(super) access_tokens: HashMap<Key, (String, i64)>,
    /// Login sessions: their members, kept until the last one's grant ends.
    pub(super) sessions: HashMap<String, (Vec<super::super::SessionMember>, i64)>,
    /// Sessions ended, until no code issued in them can be redeemed.
    pub(super) ended_sessions: HashMap<String, i64>,
    /// Browser sessions, by their cookie's fingerprint.
    pub(super) browser_sessions: HashMap<Key, super::super::BrowserSession>,
    /// The browser session of each `sid` that has one.
    pub(super) browser_session_of: HashMap<String, Key>,
}

impl Inner {
    /// One unused code of `client` is gone (taken or expired).
    pub(super) fn code_gone(&mut self, client: &Arc<str>) {
        if let Some(n) = self.outstanding.get_mut(client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.outstanding.remove(client);
            }
        }
    }

    pub(super) fn revoke(&mut self, grant_id: &str) {
        if let Some(grant) = self.grants.get_mut(&Key::of(grant_id)) {
            grant.revoked = true;
        }
    }

    /// One shared copy of a string that many records repeat.
    pub(super) fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        self.strings.insert(shared.clone());
        shared
    }

    pub(super) fn store_grant(&mut self, g: GrantRecord) -> (Key, StoredGrant) {
        let stored = StoredGrant {
            client_id: self.intern(&g.client_id),
            subject: self.intern(&g.subject),
            user: self.intern(&g.user),
            scope: self.intern(&g.scope.to_string()),
            claims: g.claims.as_deref().map(|c| self.intern(c)),
            acr: g.acr.as_deref().map(|a| self.intern(a)),
            target: (!g.target.is_empty()).then(|| Box::new(g.target)),
            sid: g.sid.as_deref().map(Arc::from),
            auth_time: g.auth_time,
            expires_at: g.expires_at,
            revoked: g.revoked,
        };
        (Key::of(&g.grant_id), stored)
    }
}

pub(super) fn load_grant(grant_id: String, g: &StoredGrant) -> GrantRecord {
    GrantRecord {
        grant_id,
        client_id: g.client_id.to_string(),
        subject: g.subject.to_string(),
        user: g.user.to_string(),
        // Stored from a valid Scope, so it parses.
        scope: oauth_core::scope::Scope::parse(&g.scope).unwrap_or_default(),
        claims: g.claims.as_deref().map(str::to_owned),
        auth_time: g.auth_time,
        acr: g.acr.as_deref().map(str::to_owned),
        target: g.target.as_deref().cloned().unwrap_or_default(),
        sid: g.sid.as_deref().map(str::to_owned),
        expires_at: g.expires_at,
        revoked: g.revoked,
    }
}

pub(super) fn load_refresh(r: &StoredRefresh) -> RefreshRecord {
    RefreshRecord {
        grant_id: r.grant.id(),
        expires_at: r.expires_at,
        rotated: r.rotated,
        jkt: r.jkt.as_deref().map(str::to_owned),
    }
}
