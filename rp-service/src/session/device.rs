//! A device authorization in flight (RFC 8628): what the device
//! authorization response gave, and the pace of polling. `Debug` shows the
//! device code by length only (it is a bearer credential until redeemed).
use std::fmt;
use std::time::Duration;

/// The device authorization the client polls for.
#[derive(Clone)]
pub struct DeviceFlow {
    pub device_code: String,
    /// As shown to the user.
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    /// Seconds between polls (RFC 8628 §3.2, 5 when absent); 5 more after
    /// each `slow_down` (§3.5).
    pub interval: u64,
    /// When the device code expires, in the RP's clock's milliseconds
    /// (`Clock::now_millis`: the clock a run may advance instead of sleeping).
    pub expires_at: i64,
    /// When the last poll's answer came, in the same milliseconds.
    pub last_poll: Option<i64>,
    /// The scope asked for, to compare with what the token response grants.
    pub scope: Option<String>,
}

impl DeviceFlow {
    /// How long to wait before the next poll: the interval after the last
    /// one (RFC 8628 §3.5: the client MUST wait at least that long); the
    /// first poll goes at once. `now` in the clock's milliseconds.
    pub fn wait(&self, now: i64) -> Duration {
        let Some(last) = self.last_poll else {
            return Duration::ZERO;
        };
        let interval_ms = i64::try_from(self.interval)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        let next = last.saturating_add(interval_ms);
        Duration::from_millis(u64::try_from(next.saturating_sub(now)).unwrap_or(0))
    }
}

/// A poll answered, to apply to the flow.
#[derive(Debug, Clone, Copy)]
pub struct DevicePolled {
    /// In the RP's clock's milliseconds.
    pub at: i64,
    /// `slow_down`: the interval grows by 5 seconds (RFC 8628 §3.5 MUST).
    pub slow_down: bool,
    /// Tokens came: the device code is spent.
    pub redeemed: bool,
}

impl fmt::Debug for DeviceFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceFlow")
            .field(
                "device_code",
                &format_args!("<{} bytes>", self.device_code.len()),
            )
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("interval", &self.interval)
            .field("last_poll", &self.last_poll)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}
