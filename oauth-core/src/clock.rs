//! Time, injected: every expiry check reads a [`Clock`] so that tests can move
//! time instead of sleeping.
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, the unit of JWT `iat`/`exp` (RFC 7519 §2 NumericDate).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> i64;

    /// Milliseconds since the Unix epoch, where a second is too coarse (a
    /// polling interval, RFC 8628 §3.5); by default the second's start.
    fn now_millis(&self) -> i64 {
        self.now().saturating_mul(1000)
    }
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }

    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that stands still until told to move; shared clones see the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(now: i64) -> Self {
        Self(Arc::new(AtomicI64::new(now)))
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// The system's clock plus however far a run has moved it on: services in
/// one process that share it see time pass together when the run, instead
/// of sleeping through a wait (a polling interval, a login grown older than
/// `max_age`), advances it. Time only moves forward; shared clones see the
/// same time.
#[derive(Debug, Clone, Default)]
pub struct AdvancingClock(Arc<AtomicI64>);

impl AdvancingClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the time on by `by`, as if that long had passed.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(ms))
            })
            .ok();
    }

    /// How far the clock has been moved on from the system's, in total.
    pub fn advanced(&self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::try_from(self.0.load(Ordering::SeqCst)).unwrap_or(0))
    }
}

impl Clock for AdvancingClock {
    fn now(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    fn now_millis(&self) -> i64 {
        SystemClock
            .now_millis()
            .saturating_add(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_advancing_clock_moves_every_clone_on_by_what_it_is_told() {
        let clock = AdvancingClock::new();
        let shared = clock.clone();
        let before = shared.now_millis();
        clock.advance(Duration::from_millis(2100));
        let after = shared.now_millis();
        assert!(after - before >= 2100, "{before} -> {after}");
        assert!(after - before < 2100 + 5_000, "{before} -> {after}");
        assert!(shared.now() >= before / 1000 + 2);
        assert_eq!(shared.advanced(), Duration::from_millis(2100));
    }

    #[test]
    fn an_advancing_clock_reads_seconds_from_its_milliseconds() {
        let clock = AdvancingClock::new();
        let (s, ms) = (clock.now(), clock.now_millis());
        assert!(ms / 1000 - s <= 1, "{s} s against {ms} ms");
    }
}
