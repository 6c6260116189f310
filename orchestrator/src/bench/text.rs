//! The bench's reports as text, for a terminal.
use std::collections::BTreeMap;

use super::{Latency, StoriesReport, TokenReport};

/// A stories report as text.
pub fn stories_text(r: &StoriesReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} stories in {:.2} s at concurrency {}: {:.0} stories/s, {:.0} gRPC calls/s, errors {}",
        r.completed,
        r.seconds,
        r.concurrency,
        r.stories_per_second,
        r.grpc_calls_per_second,
        r.errors
    );
    table(&mut out, "story", &r.story_latency);
    table(&mut out, "step", &r.step_latency);
    out
}

/// Latency percentiles, a row per name under a header naming `what`.
fn table(out: &mut String, what: &str, rows: &BTreeMap<String, Latency>) {
    use std::fmt::Write;
    let _ = writeln!(
        out,
        "\n{what:<48} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "count", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    for (name, l) in rows {
        let _ = writeln!(
            out,
            "{name:<48} {:>8} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            l.count, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
        );
    }
}

/// A report of a load on the AS alone, as text.
pub fn token_text(r: &TokenReport) -> String {
    let what = r.rpc.counted();
    let opened = r
        .connections_opened
        .map(|n| format!(" ({n} opened)"))
        .unwrap_or_default();
    format!(
        "{} {what} in {:.2} s at concurrency {} over {} {} connections{opened}: {:.0} {what}/s, errors {}\n\
latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}\n",
        r.tokens,
        r.seconds,
        r.concurrency,
        r.connections,
        r.transport,
        r.tokens_per_second,
        r.errors,
        r.latency.p50_ms,
        r.latency.p90_ms,
        r.latency.p99_ms,
        r.latency.max_ms
    )
}
