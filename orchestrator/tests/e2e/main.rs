//! The orchestrator's tests, one binary: each module runs its own services
//! (in-process, or on ephemeral loopback ports), so they run side by side
//! as separate test binaries would — and the whole stack is compiled and
//! linked once, not once per file. `cargo test -p orchestrator --test e2e
//! MODULE::` runs one module. Apart, each needing Chromium: `html_report`
//! and `browser`.
mod common;

mod attacks;
mod cli;
mod deadline;
mod hostile_values;
mod issuer;
mod levels;
mod newcomer;
mod outcomes;
mod plan;
mod redaction;
mod snapshots;
mod waits;
mod weak_provider;
