//! The story orchestrator: drives each usage story by calling the RP
//! (prepare a request, parse an answer) and the AS (the endpoint the RP
//! names), and prints the transcript.
//!
//! - [`catalog`]: the stories as data.
//! - [`runner`]: one story through both services, recorded step by step.
//! - [`render`]: transcripts as text or JSON Lines.
//! - [`embedded`]: both services in-process on loopback.
//! - [`summary`]: the table and totals closing a run; the exit status.
//! - [`explain`]: a story's description, from the catalog and configurations.

pub mod attacker;
pub mod bench;
pub mod catalog;
pub mod embedded;
pub mod explain;
pub mod render;
pub mod runner;
pub mod summary;
