//! The story orchestrator: drives each usage story by calling the RP
//! (prepare a request, parse an answer) and the AS (the endpoint the RP
//! names), and prints the transcript.
//!
//! - [`catalog`]: the stories and the attack stories, as data.
//! - [`runner`]: one story through both services, recorded step by step.
//! - [`services`]: the connections to both, each checked for what it serves.
//! - [`record`]: what a run records, for the renderers and the summary.
//! - [`attacker`]: what an attack story changes in an answer before the RP
//!   reads it (a tampering browser or network, or a malicious AS).
//! - [`render`]: transcripts as text, JSON Lines or Markdown (with a
//!   sequence diagram), and the redaction of secrets.
//! - [`bench`]: load through both services, or the token endpoint alone.
//! - [`embedded`]: both services in-process, over in-memory pipes or on
//!   loopback.
//! - [`summary`]: the table and totals closing a run; the exit status.
//! - [`cli`]: the command line — arguments, the commands, their errors.
//! - [`explain`]: a story's description, from the catalog and configurations.
//! - [`plan`]: certification plans, each module run by a story.

pub mod attacker;
pub mod backchannel;
pub mod bench;
pub mod carrier;
pub mod catalog;
pub mod cli;
pub mod embedded;
pub mod explain;
pub mod external;
pub mod fault;
pub mod form_login;
pub mod link;
pub mod login;
pub mod plan;
pub mod record;
pub mod render;
pub mod runner;
pub mod services;
pub mod summary;
