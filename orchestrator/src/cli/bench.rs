//! `orchestrator bench`: whole stories through both services, or the token
//! endpoint alone, under load; the report as text or JSON.

use std::io::IsTerminal;

use serde::Serialize;

use super::args::{BenchArgs, ReportFormat};
use super::error::Error;
use super::select::select;
use crate::bench::{self, Limit};
use crate::catalog::STORIES;
use crate::embedded::InProcess;
use crate::runner::{self, Services};

/// Runs a benchmark; `Ok(false)` when any request failed.
pub(super) async fn bench(args: BenchArgs) -> Result<bool, Error> {
    let limit = match (args.duration, args.iterations) {
        (Some(s), _) if s > 0.0 => Limit::Duration(std::time::Duration::from_secs_f64(s)),
        (Some(_), _) => return Err(Error::Usage("--duration must be positive".into())),
        (None, Some(n)) => Limit::Iterations(n),
        (None, None) => Limit::Duration(std::time::Duration::from_secs(10)),
    };
    let live = std::io::stderr().is_terminal();
    let embedded =
        match &args.as_address {
            Some(_) => None,
            None => Some(InProcess::start_for_load().await.map_err(|e| {
                Error::Services(format!("cannot start the embedded services: {e}"))
            })?),
        };
    let ok = if args.token_endpoint {
        let mut channels = Vec::new();
        match (&args.as_address, &embedded) {
            (Some(as_address), _) => {
                let replicas: Vec<&str> = as_address
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .collect();
                if replicas.is_empty() {
                    return Err(Error::Usage("--as names no address".into()));
                }
                for i in 0..args.connections.max(replicas.len()) {
                    channels.push(
                        runner::channel("AS", replicas[i % replicas.len()])
                            .await
                            .map_err(|e| Error::Services(e.to_string()))?,
                    );
                }
            }
            (None, Some(e)) => {
                for _ in 0..args.connections.max(1) {
                    channels.push(
                        e.as_channel()
                            .await
                            .map_err(|e| Error::Services(e.to_string()))?,
                    );
                }
            }
            (None, None) => return Err(Error::Usage("no AS to load".into())),
        }
        let report = bench::token_endpoint(channels, args.concurrency, limit, live).await;
        print_report(args.format, &report, || bench::token_text(&report))?;
        report.errors == 0
    } else {
        let stories = if args.all {
            STORIES.iter().collect()
        } else {
            select(&args.stories, false, false)?
        };
        let services = match (&args.as_address, &args.rp, &embedded) {
            (Some(as_address), Some(rp_address), _) => {
                Services::connect(as_address, rp_address).await
            }
            (None, _, Some(e)) => e.services().await,
            _ => {
                return Err(Error::Usage("--as needs --rp for story benchmarks".into()));
            }
        }
        .map_err(|e| Error::Services(e.to_string()))?;
        let report = bench::stories(&services, &stories, args.concurrency, limit, live).await;
        print_report(args.format, &report, || bench::stories_text(&report))?;
        report.errors == 0
    };
    if let Some(e) = embedded {
        e.stop().await;
    }
    Ok(ok)
}

fn print_report<R: Serialize>(
    format: ReportFormat,
    report: &R,
    text: impl FnOnce() -> String,
) -> Result<(), Error> {
    match format {
        ReportFormat::Text => print!("{}", text()),
        ReportFormat::Json => println!("{}", serde_json::to_string(report).map_err(Error::Encode)?),
    }
    Ok(())
}
