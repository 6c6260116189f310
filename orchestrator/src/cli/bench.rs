//! `orchestrator bench`: whole stories through both services, or the token
//! endpoint alone, under load; the report as text or JSON.

use std::io::IsTerminal;

use serde::Serialize;

use super::args::{BenchArgs, HttpVersion, ReportFormat};
use super::error::Error;
use super::select::select;
use crate::bench::http::{Target, Version};
use crate::bench::{self, ClientCredentials, Lane, Limit};
use crate::catalog::STORIES;
use crate::embedded::InProcess;
use crate::runner::{self, Services};
use oidc_story_serve::shards::Shards;

/// What a benchmark measured.
#[derive(Debug, Clone)]
pub enum Report {
    Stories(bench::StoriesReport),
    Tokens(bench::TokenReport),
}

/// Runs a benchmark and prints its report; `Ok(false)` when any request
/// failed.
pub(super) async fn bench(args: BenchArgs) -> Result<bool, Error> {
    let format = args.format;
    Ok(match measure(&args).await? {
        Report::Tokens(report) => {
            print_report(format, &report, || bench::token_text(&report))?;
            report.errors == 0
        }
        Report::Stories(report) => {
            print_report(format, &report, || bench::stories_text(&report))?;
            report.errors == 0
        }
    })
}

/// Runs a benchmark.
///
/// The load is dealt over shards (`oidc_story_serve::shards`), as many as the machine
/// has cores: each opens connections of its own and runs its share of the
/// workers on them; the embedded services serve each shard's connections on
/// that shard.
pub async fn measure(args: &BenchArgs) -> Result<Report, Error> {
    let limit = match (args.duration, args.iterations) {
        (Some(s), _) if s > 0.0 => Limit::Duration(std::time::Duration::from_secs_f64(s)),
        (Some(_), _) => return Err(Error::Usage("--duration must be positive".into())),
        (None, Some(n)) => Limit::Iterations(n),
        (None, None) => Limit::Duration(std::time::Duration::from_secs(10)),
    };
    let as_alone = args.token_endpoint || args.health_check;
    if !as_alone && args.as_address.is_some() && args.rp.is_none() {
        return Err(Error::Usage("--as needs --rp for story benchmarks".into()));
    }
    let live = std::io::stderr().is_terminal();
    let client = ClientCredentials {
        id: args.client_id.clone(),
        secret: args.client_secret.clone(),
    };
    let http = match &args.http {
        Some(url) => Some(http_target(args, url, &client).await?),
        None => None,
    };
    let work = match &http {
        Some(target) => target.connections_for(args.concurrency, args.connections),
        None if as_alone => args.connections,
        None => args.concurrency,
    };
    let shards = match args.threads {
        Some(n) => Shards::start(usize::from(n)),
        None => Shards::for_work(work.max(1)),
    }
    .map_err(|e| Error::Services(format!("cannot start the load threads: {e}")))?;
    if let Some(target) = http {
        return Ok(Report::Tokens(
            http_load(args, &target, &shards, limit, live).await?,
        ));
    }
    let embedded = match &args.as_address {
        Some(_) => Vec::new(),
        None => InProcess::start_for_load_on(&shards)
            .await
            .map_err(|e| Error::Services(format!("cannot start the embedded services: {e}")))?,
    };
    let report = if args.token_endpoint || args.health_check {
        let lanes = token_lanes(args, &shards, &embedded).await?;
        let rpc = if args.health_check {
            bench::LoadRpc::HealthCheck
        } else {
            bench::LoadRpc::Token
        };
        Report::Tokens(
            bench::token_endpoint(
                &lanes,
                rpc,
                (&client, &args.token_url),
                args.concurrency,
                limit,
                live,
            )
            .await,
        )
    } else {
        let stories = if args.all {
            STORIES.iter().collect()
        } else if args.stories.is_empty() {
            // What bench takes, not what run does (it has no --attacks).
            return Err(Error::Usage(
                "name the stories to load, or --all, --token-endpoint or --health-check (`orchestrator list` shows the stories)"
                    .into(),
            ));
        } else {
            select(&args.stories, false, false)?
        };
        let lanes = story_lanes(args, &shards, &embedded).await?;
        Report::Stories(bench::stories(&lanes, &stories, args.concurrency, limit, live).await)
    };
    for e in embedded {
        e.stop().await;
    }
    Ok(report)
}

/// The token endpoint `--http` names: the `token_endpoint` of the issuer's
/// metadata where `url` is an issuer that publishes some, else `url`
/// itself.
async fn http_target(
    args: &BenchArgs,
    url: &str,
    client: &ClientCredentials,
) -> Result<std::sync::Arc<Target>, Error> {
    let carrier = crate::carrier::Carrier::new(args.ca.as_deref())
        .map_err(|e| Error::Usage(e.to_string()))?;
    let endpoint = match crate::external::discover(&carrier, url).await {
        Ok(issuer) => issuer
            .metadata
            .get("token_endpoint")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Usage(format!("{url}: its metadata names no token_endpoint")))?,
        Err(_) => url.to_owned(),
    };
    let version = match args.http_version {
        HttpVersion::Http1 => Version::Http1,
        HttpVersion::Http2 => Version::Http2,
    };
    Target::new(&endpoint, version, args.ca.as_deref(), client)
        .await
        .map_err(Error::Usage)
}

/// The token endpoint load over HTTP ([`crate::bench::http`]); the report
/// says the transport and how many connections were opened in all. The
/// first failure, if any, is said on stderr.
async fn http_load(
    args: &BenchArgs,
    target: &std::sync::Arc<Target>,
    shards: &Shards,
    limit: Limit,
    live: bool,
) -> Result<bench::TokenReport, Error> {
    let callers = bench::http::callers(target, shards, args.concurrency, args.connections)
        .await
        .map_err(Error::Services)?;
    let mut report = bench::load(callers.into_iter(), args.concurrency, limit, live).await;
    report.transport = target.transport();
    report.connections = target.connections_for(args.concurrency, args.connections);
    report.connections_opened = Some(target.opened());
    if let Some(why) = target.first_failure() {
        eprintln!("bench: first failure: {why}");
    }
    Ok(report)
}

/// One client of each service per shard.
async fn story_lanes(
    args: &BenchArgs,
    shards: &Shards,
    embedded: &[InProcess],
) -> Result<Vec<Lane<Services>>, Error> {
    let mut lanes = Vec::new();
    for i in 0..shards.len() {
        lanes.push(match (&args.as_address, &args.rp, embedded.get(i)) {
            (Some(as_address), Some(rp_address), _) => {
                let (a, r) = (as_address.clone(), rp_address.clone());
                lane(shards, i, async move { Services::connect(&a, &r).await }).await?
            }
            (None, _, Some(e)) => {
                let links = e.links();
                lane(shards, i, async move { links.services().await }).await?
            }
            _ => return Err(Error::Usage("--as needs --rp for story benchmarks".into())),
        });
    }
    Ok(lanes)
}

/// Opens clients on shard `i` (`connect` runs there, so that their
/// connections live on its runtime) and makes them a lane of that shard.
async fn lane<C, E>(
    shards: &Shards,
    i: usize,
    connect: impl std::future::Future<Output = Result<C, E>> + Send + 'static,
) -> Result<Lane<C>, Error>
where
    C: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let clients = shards
        .run(i, connect)
        .await
        .map_err(|e| Error::Services(format!("a load thread failed: {e}")))?
        .map_err(|e| Error::Services(e.to_string()))?;
    Ok(Lane {
        clients,
        runtime: shards.handle(i).clone(),
    })
}

/// `--connections` connections to the AS (to each of its replicas in turn
/// when `--as` names several), dealt round the shards.
async fn token_lanes(
    args: &BenchArgs,
    shards: &Shards,
    embedded: &[InProcess],
) -> Result<Vec<Lane<tonic::transport::Channel>>, Error> {
    let replicas: Vec<String> = match &args.as_address {
        Some(list) => {
            let replicas: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
            if replicas.is_empty() {
                return Err(Error::Usage("--as names no address".into()));
            }
            replicas
        }
        None => Vec::new(),
    };
    let mut lanes = Vec::new();
    for i in 0..args.connections.max(replicas.len()).max(1) {
        lanes.push(if replicas.is_empty() {
            let Some(e) = embedded.get(i % shards.len()) else {
                return Err(Error::Usage("no AS to load".into()));
            };
            let links = e.links();
            lane(shards, i, async move { links.as_channel().await }).await?
        } else {
            let address = replicas[i % replicas.len()].clone();
            lane(
                shards,
                i,
                async move { runner::channel("AS", &address).await },
            )
            .await?
        });
    }
    Ok(lanes)
}

fn print_report<R: Serialize>(
    format: ReportFormat,
    report: &R,
    text: impl FnOnce() -> String,
) -> Result<(), Error> {
    match format {
        ReportFormat::Text => super::output::print_or_stop(&text()),
        ReportFormat::Json => super::output::print_or_stop(&format!(
            "{}\n",
            serde_json::to_string(report).map_err(Error::Encode)?
        )),
    }
}
