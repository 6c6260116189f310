//! The device authorization grant's settings (RFC 8628): codes, polls and
//! the limits on guessing user codes.
use serde::Deserialize;

/// The device authorization grant (RFC 8628).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceFileConfig {
    /// Seconds a client waits between polls (RFC 8628 §3.2 `interval`).
    pub interval: i64,
    /// Lifetime of a device code and its user code, seconds (`expires_in`).
    pub lifetime: i64,
    /// Characters in a user code (RFC 8628 §6.1), shown in groups of four.
    pub user_code_length: usize,
    /// Wrong user codes a caller may enter per window before every entry
    /// of theirs is refused until the window ends (RFC 8628 §5.1). Each
    /// entry counts before it is judged, so a burst cannot slip under the
    /// limit; a right one is given back.
    #[serde(default = "default_user_code_failures")]
    pub max_user_code_failures: u64,
    #[serde(default = "default_user_code_window")]
    pub failure_window: i64,
    /// Wrong user codes all callers together may enter per
    /// `global_failure_window` before every entry from anyone is refused
    /// until that window ends (RFC 8628 §5.1). The per-caller limit alone
    /// is multiplied by the addresses a guesser holds (an IPv6 /64 is
    /// counted as one caller, but a guesser may hold many); this bounds the
    /// guesses over the whole code space whatever their source. A right
    /// code is given back, as per caller.
    #[serde(default = "default_global_user_code_failures")]
    pub max_global_user_code_failures: u64,
    #[serde(default = "default_global_user_code_window")]
    pub global_failure_window: i64,
}

fn default_user_code_failures() -> u64 {
    5
}

fn default_user_code_window() -> i64 {
    60
}

/// 100 wrong codes per 5 minutes: far above what people mistyping codes
/// produce on a server this size, and at most 1200 guesses an hour, so
/// with 20^8 codes about one chance in twenty million per live code.
fn default_global_user_code_failures() -> u64 {
    100
}

fn default_global_user_code_window() -> i64 {
    300
}

impl Default for DeviceFileConfig {
    fn default() -> Self {
        Self {
            interval: 5,
            lifetime: 600,
            user_code_length: 8,
            max_user_code_failures: default_user_code_failures(),
            failure_window: default_user_code_window(),
            max_global_user_code_failures: default_global_user_code_failures(),
            global_failure_window: default_global_user_code_window(),
        }
    }
}
