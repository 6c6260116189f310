//! The AS's tests over real sockets, one binary: each module starts its own
//! servers (or the `as-service` binary) on ephemeral loopback ports, so they
//! run side by side as separate test binaries would — and the AS is
//! compiled and linked once, not once per file. `cargo test -p as-service
//! --test e2e MODULE::` runs one module.
mod backchannel_http;
mod cli;
mod http;
mod http2;
mod http_connection_cap;
mod key_rotation;
mod login_session;
mod registration_secrets;
