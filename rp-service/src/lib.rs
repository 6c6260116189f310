//! The oidc-story Relying Party (client).
//!
//! - [`config`]: the AS it talks to and its client profiles.
//! - [`session`]: per-session state (discovered metadata, AS keys, the
//!   request awaiting its answer), with idle expiry and a cap.
//! - [`service`]: the client services, one module per kind of request:
//!   build it (with client authentication), then parse and verify the answer.
//! - [`grpc`]: the only module that knows tonic: the `RelyingParty` service,
//!   reflection, health, and [`run`] (TCP) / [`serve`] (any connections).
//!
//! The RP never calls the AS itself: it prepares each request and says which
//! AS endpoint it is for, and the caller (the orchestrator) carries it there
//! and hands the answer back. Every message between them is in the transcript.

pub mod config;
pub mod grpc;
pub mod service;
pub mod session;

use std::sync::Arc;
use std::time::Duration;

use oauth_core::clock::{SharedClock, SystemClock};

pub use grpc::{run, run_sharded, serve};

pub struct RelyingParty {
    pub config: config::Config,
    /// The RP's own signing keys (an EC P-256 key), published at registration.
    pub keys: oauth_core::jose::KeySet,
    pub sessions: session::Sessions,
    pub clock: SharedClock,
}

impl RelyingParty {
    pub fn new(config: config::Config) -> Arc<Self> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    pub fn with_clock(config: config::Config, clock: SharedClock) -> Arc<Self> {
        let sessions = session::Sessions::new(
            Duration::from_secs(config.session_idle_timeout),
            config.max_sessions,
        );
        let keys = oauth_core::jose::KeySet::generate_ec();
        Arc::new(Self {
            keys,
            config,
            sessions,
            clock,
        })
    }
}
