//! The session store: live sessions by id, each behind its own lock,
//! forgotten after an idle timeout, their number capped.
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Session, SessionError};
use crate::config::Profile;

/// The live sessions. The map is locked only to find, add or drop a
/// session; each session has a lock of its own, held while a call works in
/// it, so that calls in different sessions run side by side (a call may
/// verify signatures or sign a request) and two calls in one session take
/// turns.
pub struct Sessions {
    map: Mutex<HashMap<String, Arc<Entry>>>,
    /// What `Entry::last_used` counts from.
    epoch: Instant,
    idle: Duration,
    max: usize,
}

struct Entry {
    /// Nanoseconds from `Sessions::epoch` to the last call in the session:
    /// read without its lock, by the sweep for idle sessions.
    last_used: AtomicU64,
    session: Mutex<Session>,
}

/// A lock whose holder panicked is still usable: a panic cannot leave a
/// session half-written in a way later steps would misread.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sessions {
    pub fn new(idle: Duration, max: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            epoch: Instant::now(),
            idle,
            max,
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether a session last used at `last_used` is still live at `now`.
    fn live(&self, last_used: u64, now: u64) -> bool {
        u128::from(now.saturating_sub(last_used)) < self.idle.as_nanos()
    }

    /// Opens a session for a profile and returns its id.
    pub fn start(&self, profile: Profile) -> Result<String, SessionError> {
        let now = self.now();
        let mut map = lock(&self.map);
        map.retain(|_, e| self.live(e.last_used.load(Ordering::Relaxed), now));
        if map.len() >= self.max {
            return Err(SessionError::Full(self.max));
        }
        let id = oauth_core::random::token(16);
        let session = Session {
            profile,
            metadata: None,
            jwks: None,
            pending: None,
            authorization: None,
            code: None,
            identity: None,
            granted_scope: None,
            registered: false,
            pushed_request_uri: None,
            previous_request_uri: None,
            last_dpop_proof: None,
            dpop_key: None,
            dpop_nonce: None,
            access_token_type: None,
            tokens: BTreeMap::new(),
            device: None,
            previous_device_code: None,
            logout_jtis: Default::default(),
        };
        map.insert(
            id.clone(),
            Arc::new(Entry {
                last_used: AtomicU64::new(now),
                session: Mutex::new(session),
            }),
        );
        Ok(id)
    }

    /// Runs `f` on a live session, holding that session's lock only.
    pub fn with<R>(&self, id: &str, f: impl FnOnce(&mut Session) -> R) -> Result<R, SessionError> {
        let now = self.now();
        let entry = {
            let mut map = lock(&self.map);
            match map.get(id) {
                Some(e) if self.live(e.last_used.load(Ordering::Relaxed), now) => {
                    e.last_used.fetch_max(now, Ordering::Relaxed);
                    e.clone()
                }
                Some(_) => {
                    map.remove(id);
                    return Err(SessionError::NotFound(id.to_owned()));
                }
                None => return Err(SessionError::NotFound(id.to_owned())),
            }
        };
        Ok(f(&mut lock(&entry.session)))
    }

    pub fn end(&self, id: &str) -> Result<(), SessionError> {
        lock(&self.map)
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| SessionError::NotFound(id.to_owned()))
    }

    pub fn len(&self) -> usize {
        lock(&self.map).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
