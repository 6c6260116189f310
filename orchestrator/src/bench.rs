//! `orchestrator bench`: load through both services (whole stories) or on
//! the AS alone (the client_credentials Token RPC, or the token endpoint
//! over HTTP: [`http`]), with throughput, latency percentiles and errors.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oidc_story_proto::v1::OAuthRequest;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::catalog::Story;
use crate::runner::{self, Services};

pub mod http;
mod text;

pub use text::{stories_text, token_text};

/// When a run stops.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    Duration(Duration),
    /// Stories (or tokens) in total, across all workers.
    Iterations(u64),
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(mut micros: Vec<u64>) -> Self {
        micros.sort_unstable();
        let at = |q: f64| -> f64 {
            if micros.is_empty() {
                return 0.0;
            }
            let i = ((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1;
            micros[i] as f64 / 1000.0
        };
        Self {
            count: micros.len(),
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: micros.last().map_or(0.0, |m| *m as f64 / 1000.0),
        }
    }
}

/// The outcome of a stories benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct StoriesReport {
    pub stories: Vec<String>,
    pub concurrency: usize,
    pub seconds: f64,
    pub completed: u64,
    pub errors: u64,
    pub stories_per_second: f64,
    pub grpc_calls_per_second: f64,
    /// Whole-story latency, per story name.
    pub story_latency: BTreeMap<String, Latency>,
    /// Step latency (its AS call and its calls to the RP), per "story/step".
    pub step_latency: BTreeMap<String, Latency>,
}

/// The outcome of a load on the AS alone: `tokens` counts the calls
/// answered as they must be, tokens or health checks (`rpc`).
#[derive(Debug, Clone, Serialize)]
pub struct TokenReport {
    /// What each call was.
    pub rpc: LoadRpc,
    /// How the calls travelled: `grpc`, `http/1.1`, `h2c`, `https/1.1`, `h2`.
    pub transport: &'static str,
    pub concurrency: usize,
    pub connections: usize,
    /// Over HTTP: the connections opened in all, those a server closed and
    /// were opened again included (a server that closes each connection
    /// after one answer makes this the token count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections_opened: Option<u64>,
    pub seconds: f64,
    pub tokens: u64,
    pub errors: u64,
    pub tokens_per_second: f64,
    pub latency: Latency,
}

/// The call a load on the AS alone repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadRpc {
    /// The client_credentials Token RPC: a signed token each time.
    Token,
    /// grpc.health.v1 Check of the AS service: the gRPC call with no OAuth
    /// work behind it, i.e. what the transport alone costs.
    HealthCheck,
}

impl LoadRpc {
    /// The calls counted, in the text report.
    fn counted(self) -> &'static str {
        match self {
            Self::Token => "tokens",
            Self::HealthCheck => "health checks",
        }
    }
}

/// Shared counters, and the live progress line.
struct Progress {
    done: AtomicU64,
    errors: AtomicU64,
    stop: AtomicBool,
    /// The next turn of the round-robin, over all workers.
    turn: AtomicU64,
}

impl Progress {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            done: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            turn: AtomicU64::new(0),
        })
    }

    /// Which of `count` stories the next claimed run is: one round-robin
    /// over all workers, so the mix is exact whichever workers are faster.
    fn next_turn(&self, count: usize) -> usize {
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        usize::try_from(turn % count.max(1) as u64).unwrap_or(0)
    }

    /// Claims the next unit of work; false when the run is over.
    fn claim(&self, limit: Limit, started: Instant) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        match limit {
            Limit::Duration(d) => started.elapsed() < d,
            Limit::Iterations(n) => self.done.fetch_add(1, Ordering::Relaxed) < n,
        }
    }

    /// Prints `label` progress on stderr every second while the run lasts.
    fn show(
        self: &Arc<Self>,
        label: &'static str,
        started: Instant,
        limit: Limit,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                if this.stop.load(Ordering::Relaxed) {
                    break;
                }
                let secs = started.elapsed().as_secs_f64();
                let done = match limit {
                    Limit::Iterations(_) => this.done.load(Ordering::Relaxed),
                    Limit::Duration(_) => this.done.load(Ordering::Relaxed),
                };
                eprint!(
                    "\r{secs:6.1} s  {done:>9} {label}  {:>9.0}/s  errors {}   ",
                    done as f64 / secs,
                    this.errors.load(Ordering::Relaxed)
                );
            }
            eprintln!();
        })
    }
}

/// Where a share of the workers runs: clients whose connections live on
/// `runtime` (a shard's one thread, see `oidc_story_proto::shards`), so that each
/// worker spawned there, and every task its calls hand work to, stays on
/// that thread.
#[derive(Clone)]
pub struct Lane<C> {
    pub clients: C,
    pub runtime: tokio::runtime::Handle,
}

/// Runs `stories` round-robin on `concurrency` workers until `limit`, the
/// workers dealt round the lanes.
pub async fn stories(
    lanes: &[Lane<Services>],
    stories: &[&'static Story],
    concurrency: usize,
    limit: Limit,
    live: bool,
) -> StoriesReport {
    let started = Instant::now();
    let progress = Progress::new();
    let completed = Arc::new(AtomicU64::new(0));
    let calls_made = || lanes.iter().map(|l| l.clients.calls_made()).sum::<u64>();
    let calls_before = calls_made();
    let story_times: Arc<Mutex<BTreeMap<String, Vec<u64>>>> = Arc::default();
    let step_times: Arc<Mutex<BTreeMap<String, Vec<u64>>>> = Arc::default();
    let shown = live.then(|| progress.show("stories", started, limit));
    let mut workers = Vec::new();
    for worker in 0..concurrency.max(1) {
        let Some(lane) = lanes.get(worker % lanes.len().max(1)) else {
            break;
        };
        let services = lane.clients.clone();
        let stories: Vec<&'static Story> = stories.to_vec();
        let progress = progress.clone();
        let completed = completed.clone();
        let (story_times, step_times) = (story_times.clone(), step_times.clone());
        workers.push(lane.runtime.spawn(async move {
            let mut mine_stories: BTreeMap<String, Vec<u64>> = BTreeMap::new();
            let mut mine_steps: BTreeMap<String, Vec<u64>> = BTreeMap::new();
            while progress.claim(limit, started) {
                let Some(&story) = stories.get(progress.next_turn(stories.len())) else {
                    break;
                };
                let t0 = Instant::now();
                let record = runner::run_story(&services, story).await;
                let elapsed = t0.elapsed();
                if record.ok {
                    completed.fetch_add(1, Ordering::Relaxed);
                    if matches!(limit, Limit::Duration(_)) {
                        progress.done.fetch_add(1, Ordering::Relaxed);
                    }
                    mine_stories
                        .entry(story.name.to_owned())
                        .or_default()
                        .push(elapsed.as_micros() as u64);
                    for step in &record.steps {
                        mine_steps
                            .entry(format!("{}/{}", story.name, step.service))
                            .or_default()
                            .push(step.elapsed.as_micros() as u64);
                    }
                } else {
                    progress.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            let mut all = story_times.lock().await;
            for (k, v) in mine_stories {
                all.entry(k).or_default().extend(v);
            }
            let mut all = step_times.lock().await;
            for (k, v) in mine_steps {
                all.entry(k).or_default().extend(v);
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    progress.stop.store(true, Ordering::Relaxed);
    if let Some(s) = shown {
        let _ = s.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let completed = completed.load(Ordering::Relaxed);
    let take = |m: Arc<Mutex<BTreeMap<String, Vec<u64>>>>| async move {
        let map = std::mem::take(&mut *m.lock().await);
        map.into_iter()
            .map(|(k, v)| (k, Latency::of(v)))
            .collect::<BTreeMap<_, _>>()
    };
    StoriesReport {
        stories: stories.iter().map(|s| s.name.to_owned()).collect(),
        concurrency,
        seconds,
        completed,
        errors: progress.errors.load(Ordering::Relaxed),
        stories_per_second: completed as f64 / seconds,
        grpc_calls_per_second: (calls_made() - calls_before) as f64 / seconds,
        story_latency: take(story_times).await,
        step_latency: take(step_times).await,
    }
}

/// The client a load's token requests authenticate as
/// (client_secret_basic).
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub id: String,
    pub secret: oauth_core::secret::Secret,
}

impl ClientCredentials {
    /// The `Authorization` header (RFC 6749 §2.3.1).
    pub fn basic(&self) -> String {
        oauth_core::client_auth::basic_header(&self.id, &self.secret)
    }
}

/// The token endpoint's URL a Token RPC names when none is given: the
/// built-in configuration's (`deploy/as.toml`'s issuer).
pub const BUILT_IN_TOKEN_URL: &str = "https://example.com/token";

/// The client_credentials token request of `client`, addressed to `url`
/// (the AS checks it is its own token endpoint's).
fn token_request(client: &ClientCredentials, url: &str) -> OAuthRequest {
    let basic = client.basic();
    OAuthRequest {
        method: "POST".into(),
        url: url.to_owned(),
        headers: [
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("authorization".to_owned(), basic),
        ]
        .into(),
        body: "grant_type=client_credentials".into(),
    }
}

/// One worker's client for the call its load repeats.
enum LoadCall {
    Token(
        oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient<
            tonic::transport::Channel,
        >,
        OAuthRequest,
    ),
    HealthCheck(tonic_health::pb::health_client::HealthClient<tonic::transport::Channel>),
}

impl LoadCall {
    fn new(rpc: LoadRpc, channel: tonic::transport::Channel, request: &OAuthRequest) -> Self {
        match rpc {
            LoadRpc::Token => Self::Token(
                oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient::new(
                    channel,
                ),
                request.clone(),
            ),
            LoadRpc::HealthCheck => {
                Self::HealthCheck(tonic_health::pb::health_client::HealthClient::new(channel))
            }
        }
    }
}

/// One worker's client of a load on the AS alone.
pub trait Caller: Send + 'static {
    /// Makes the call once; whether it was answered as it must be.
    fn call(&mut self) -> impl std::future::Future<Output = bool> + Send;
}

impl Caller for LoadCall {
    /// A 200 with a freshly signed JWT, or SERVING.
    async fn call(&mut self) -> bool {
        match self {
            Self::Token(client, request) => {
                let answer = client.token(request.clone()).await;
                matches!(&answer, Ok(r) if r.get_ref().status == 200 && r.get_ref().body.contains("\"access_token\":\"eyJ"))
            }
            Self::HealthCheck(client) => {
                let answer = client
                    .check(tonic_health::pb::HealthCheckRequest {
                        service: oidc_story_proto::AUTHORIZATION_SERVER.to_owned(),
                    })
                    .await;
                matches!(&answer, Ok(r) if r.get_ref().status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
            }
        }
    }
}

/// Load on the AS alone: the client_credentials Token RPC (or, for the
/// transport's own cost, the health Check) at `concurrency`,
/// spread over the HTTP/2 connections given (one per lane), each worker on
/// its connection's runtime. Each answer must be what [`LoadCall::call`]
/// asks: a 200 with a freshly signed JWT, or SERVING. The token requests
/// are `client`'s, addressed to `token_url`.
pub async fn token_endpoint(
    connections: &[Lane<tonic::transport::Channel>],
    rpc: LoadRpc,
    (client, token_url): (&ClientCredentials, &str),
    concurrency: usize,
    limit: Limit,
    live: bool,
) -> TokenReport {
    let request = token_request(client, token_url);
    let callers = (0..concurrency.max(1)).filter_map(|worker| {
        let lane = connections.get(worker % connections.len().max(1))?;
        let call = LoadCall::new(rpc, lane.clients.clone(), &request);
        Some((lane.runtime.clone(), call))
    });
    let mut report = load(callers, concurrency, limit, live).await;
    report.rpc = rpc;
    report.connections = connections.len();
    report
}

/// Runs each worker's `Caller` on its runtime until `limit`: the calls
/// answered as they must be, timed, and the others counted as errors. The
/// report says a Token load over gRPC; callers of other loads say theirs.
pub async fn load<C: Caller>(
    callers: impl Iterator<Item = (tokio::runtime::Handle, C)>,
    concurrency: usize,
    limit: Limit,
    live: bool,
) -> TokenReport {
    let started = Instant::now();
    let progress = Progress::new();
    let tokens = Arc::new(AtomicU64::new(0));
    let shown = live.then(|| progress.show("tokens", started, limit));
    let mut workers = Vec::new();
    for (runtime, mut call) in callers {
        let progress = progress.clone();
        let tokens = tokens.clone();
        workers.push(runtime.spawn(async move {
            let mut times = Vec::new();
            while progress.claim(limit, started) {
                let t0 = Instant::now();
                let ok = call.call().await;
                if ok {
                    times.push(t0.elapsed().as_micros() as u64);
                    tokens.fetch_add(1, Ordering::Relaxed);
                    if matches!(limit, Limit::Duration(_)) {
                        progress.done.fetch_add(1, Ordering::Relaxed);
                    }
                } else {
                    progress.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            times
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        if let Ok(times) = w.await {
            all.extend(times);
        }
    }
    progress.stop.store(true, Ordering::Relaxed);
    if let Some(s) = shown {
        let _ = s.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let tokens = tokens.load(Ordering::Relaxed);
    TokenReport {
        rpc: LoadRpc::Token,
        transport: "grpc",
        concurrency,
        connections: 0,
        connections_opened: None,
        seconds,
        tokens,
        errors: progress.errors.load(Ordering::Relaxed),
        tokens_per_second: tokens as f64 / seconds,
        latency: Latency::of(all),
    }
}
