//! The end-to-end tests, one binary: every module starts its own servers
//! on ephemeral loopback ports, so they run side by side as separate test
//! binaries would — and the whole stack is compiled and linked once, not
//! once per file. `cargo test -p e2e-tests --test e2e MODULE::` runs one
//! module. Apart, in binaries of their own: `logs` (it installs the
//! process's log subscriber), `fuzz` (built in release by fuzz/run.sh) and
//! `structure` (it reads the source alone).
mod add_ons;
mod as_hardening;
mod bench;
mod bench_http;
mod code_flow;
mod grpc_surface;
mod hostile;
mod lenient;
mod newcomer;
mod oidc;
mod replicas;
mod rp_advance;
mod rp_hostile_as;
mod store_outage;
mod stories;
mod token_endpoint;
