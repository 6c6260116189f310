//! The command line's arguments, as clap reads them.
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Drives the oidc-story usage stories through the AS and RP services.
#[derive(Debug, Parser)]
#[command(name = "orchestrator", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the stories, one line each (or, with --plans, the plans).
    List {
        /// The plans `run --plan` takes, each with its modules: the
        /// module, its story, its clause.
        #[arg(long)]
        plans: bool,
    },
    /// What a story shows, its standards, steps and settings.
    Explain {
        /// The story (see `orchestrator list`).
        story: String,
    },
    /// Run stories and print their transcripts.
    Run(Box<RunArgs>),
    /// Load test: whole stories through both services, or the token endpoint alone.
    Bench(Box<BenchArgs>),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Story names (see `orchestrator list`).
    pub stories: Vec<String>,
    /// Run every story and every attack.
    #[arg(long)]
    pub all: bool,
    /// Run every attack story (attack_*: the AS or the RP must refuse).
    #[arg(long)]
    pub attacks: bool,
    /// Run a certification plan's stories and show the plan, module by
    /// module, in the summary (`orchestrator list --plans` shows them).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["stories", "all", "attacks"])]
    pub plan: Option<String>,
    /// Transcript format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The sequence diagram (Markdown, HTML): the parties of the protocol,
    /// or the hops between the orchestrator and the services.
    #[arg(long, value_enum, default_value_t = Diagram::Protocol)]
    pub diagram: Diagram,
    /// Write one file per story, and an index, into this directory instead
    /// of printing.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: clear a directory that holds something other than an
    /// earlier report (an earlier report is replaced without asking).
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Pause after each step until Enter (on a terminal only).
    #[arg(long)]
    pub step: bool,
    /// Mask secrets and token values (decoded claims stay), to share a transcript.
    #[arg(long)]
    pub redact: bool,
    /// Warnings (failed SHOULD checks) fail the run too (exit status 1).
    #[arg(long)]
    pub strict: bool,
    /// Seconds a story may take in all; past them it fails, timed out at
    /// the step under way (not with --step, where a person sets the pace).
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub story_timeout: u64,
    /// Address of an external AS (e.g. 127.0.0.1:50051); with --rp. Without
    /// both, the services run embedded on loopback.
    #[arg(
        long = "as",
        value_name = "URL",
        requires = "rp",
        env = "ORCHESTRATOR_AS"
    )]
    pub as_address: Option<String>,
    /// Address of an external RP (e.g. 127.0.0.1:50052); with --as, or
    /// with --issuer (an RP configured for that issuer).
    #[arg(long = "rp", value_name = "URL", env = "ORCHESTRATOR_RP")]
    pub rp: Option<String>,
    /// Run the stories against this OAuth/OIDC server over HTTP(S), by its
    /// issuer URL (https; http on loopback only). The RP still prepares and
    /// verifies every message; the orchestrator carries them over HTTP.
    #[arg(long, value_name = "URL", conflicts_with = "as_address")]
    pub issuer: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
    /// With --issuer: also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE", requires = "issuer")]
    pub ca: Option<PathBuf>,
    /// With --issuer: log in with a browser. The authorization URL is
    /// printed (and opened on a desktop); the redirect is awaited on the
    /// redirect URI's loopback port (default http://127.0.0.1:9876/callback).
    #[arg(long, requires = "issuer", conflicts_with = "login")]
    pub browser: bool,
    /// With --issuer: where the server answers the authorization request
    /// with a login form (a test server's), fill it in with FIELD=VALUE
    /// (repeatable; e.g. --login sub=alice) and submit it once.
    #[arg(long, value_name = "FIELD=VALUE", requires = "issuer")]
    pub login: Vec<String>,
}

/// The client to use at a server given with --issuer (without any, the
/// built-in client profiles).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClientArgs {
    /// A TOML file with client_id, client_secret, redirect_uri, scope,
    /// auth_method, username, password; the flags below win over it.
    #[arg(long = "client", value_name = "FILE", requires = "issuer")]
    pub file: Option<PathBuf>,
    /// A second client at the server (a TOML file like --client's), for
    /// the attacks where another client redeems the first's code or
    /// request_uri. Without it, one is registered for the run where the
    /// server offers dynamic registration (RFC 7591), and deleted at the
    /// end where it offers client management (RFC 7592).
    #[arg(
        long = "client2",
        value_name = "FILE",
        requires = "issuer",
        conflicts_with = "rp"
    )]
    pub client2: Option<PathBuf>,
    #[arg(long, requires = "issuer")]
    pub client_id: Option<String>,
    /// (Or ORCHESTRATOR_CLIENT_SECRET, kept out of the process list.)
    #[arg(long, env = "ORCHESTRATOR_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<oauth_core::secret::Secret>,
    #[arg(long, requires = "issuer")]
    pub redirect_uri: Option<String>,
    #[arg(long, requires = "issuer")]
    pub scope: Option<String>,
    /// client_secret_basic, client_secret_post or none.
    #[arg(long, requires = "issuer")]
    pub auth_method: Option<String>,
    /// PKCE on every code flow: auto (S256 where the server lists it, as
    /// RFC 9700 §2.1.1 advises), always, or never (the plain flow).
    #[arg(long, value_name = "auto|always|never", requires = "issuer")]
    pub pkce: Option<String>,
    /// Where the user agent returns after logout, as registered for the
    /// client (OIDC RP-Initiated Logout §3).
    #[arg(long, value_name = "URL", requires = "issuer")]
    pub post_logout_redirect_uri: Option<String>,
    /// The client's registered back-channel logout URI, http on loopback:
    /// the orchestrator listens there for the server's logout tokens
    /// (OIDC Back-Channel Logout §2.5).
    #[arg(long = "backchannel-uri", value_name = "URL", requires = "issuer")]
    pub backchannel_logout_uri: Option<String>,
    /// A resource (RFC 8707) the client may obtain tokens for at the
    /// server; repeat for each (the resource indicators story needs two).
    #[arg(long = "resource", value_name = "URL", requires = "issuer")]
    pub resources: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Story names to run round-robin (see `orchestrator list`).
    pub stories: Vec<String>,
    /// Every story.
    #[arg(long)]
    pub all: bool,
    /// Load the AS alone: client_credentials token requests
    /// (client_secret_basic), as Token RPCs, or over HTTP with --http.
    #[arg(long, conflicts_with_all = ["stories", "all"])]
    pub token_endpoint: bool,
    /// With --token-endpoint: send the token requests over HTTP to this
    /// URL instead of gRPC: an issuer (its token endpoint found in its
    /// metadata) or, if it publishes none, the token endpoint itself. Any
    /// OAuth server will do (https; http on loopback only).
    #[arg(
        long,
        value_name = "URL",
        requires = "token_endpoint",
        conflicts_with = "as_address"
    )]
    pub http: Option<String>,
    /// With --http: HTTP/1.1 (keep-alive, one connection per request in
    /// flight) or HTTP/2 (--connections connections; h2c with prior
    /// knowledge for http://, h2 by ALPN for https://).
    #[arg(long, value_enum, default_value = "1.1", requires = "http")]
    pub http_version: HttpVersion,
    /// With --http: also trust the CA certificates in this PEM file (a
    /// server's self-signed certificate, for instance).
    #[arg(long, value_name = "FILE", requires = "http")]
    pub ca: Option<PathBuf>,
    /// Over gRPC: the token endpoint URL each Token RPC's envelope names,
    /// which the AS checks is its own (its issuer's token endpoint).
    #[arg(
        long,
        value_name = "URL",
        default_value = crate::bench::BUILT_IN_TOKEN_URL,
        conflicts_with = "http"
    )]
    pub token_url: String,
    /// The client the token requests authenticate as (client_secret_basic);
    /// client_1 of the built-in configuration by default.
    #[arg(
        long,
        value_name = "ID",
        default_value = "client_1",
        requires = "token_endpoint"
    )]
    pub client_id: String,
    /// The secret of --client-id.
    #[arg(
        long,
        value_name = "SECRET",
        default_value = "another password",
        hide_default_value = true,
        requires = "token_endpoint"
    )]
    pub client_secret: oauth_core::secret::Secret,
    /// Load the AS's gRPC alone: grpc.health.v1 Check calls, answered with
    /// no OAuth work, so what the transport costs by itself.
    #[arg(long, conflicts_with_all = ["stories", "all", "token_endpoint"])]
    pub health_check: bool,
    /// Requests (stories or tokens) in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// HTTP/2 connections to spread the token endpoint load over (gRPC, or
    /// --http-version 2; HTTP/1.1 opens one per request in flight).
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Threads to deal the load over, each with its own connections
    /// (default: one per core, no more than the concurrency or, for the
    /// token endpoint, the connections).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Run for this many seconds.
    #[arg(long, conflicts_with = "iterations")]
    pub duration: Option<f64>,
    /// Run this many stories (or tokens) in total.
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Address of an external AS; with --rp (for stories). Without, embedded.
    #[arg(long = "as", value_name = "URL", env = "ORCHESTRATOR_AS")]
    pub as_address: Option<String>,
    /// Address of an external RP; with --as.
    #[arg(
        long = "rp",
        value_name = "URL",
        requires = "as_address",
        env = "ORCHESTRATOR_RP"
    )]
    pub rp: Option<String>,
}

/// The HTTP version of `bench --http`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HttpVersion {
    #[value(name = "1.1")]
    Http1,
    #[value(name = "2")]
    Http2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Plain text, step by step: each request, response and check (colour on a terminal).
    Text,
    /// Markdown with a Mermaid sequence diagram.
    Markdown,
    /// JSON Lines, one object per story.
    Json,
    /// A self-contained HTML report (with --out): an index and a page per
    /// story, with SVG sequence diagrams.
    Html,
}

impl Format {
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Self::Text => "txt",
            Self::Markdown => "md",
            Self::Json => "json",
            Self::Html => "html",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Diagram {
    /// User-Agent, Client (RP) and AS/OP, as the standards draw them.
    Protocol,
    /// The orchestrator, the RP service and the AS service, as the
    /// messages travelled (gRPC hops included).
    Wire,
}

impl Diagram {
    pub(crate) fn view(self) -> crate::render::sequence::View {
        match self {
            Self::Protocol => crate::render::sequence::View::Protocol,
            Self::Wire => crate::render::sequence::View::Wire,
        }
    }
}
