//! A story's waits, in-process: the client's pause before a device poll
//! (RFC 8628 §3.5) and a login grown older than `max_age` (OIDC Core
//! §3.1.2.1) move the clock both services read instead of sleeping. The
//! server still judges the pause on its own clock: a poll sooner than the
//! interval would be `slow_down`, a login younger than `max_age` would be
//! kept. Services reached by address wait in real time.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use orchestrator::catalog;
use orchestrator::embedded::{Embedded, InProcess};
use orchestrator::runner::run_story;
use orchestrator::services::Services;

fn story(name: &str) -> &'static catalog::Story {
    catalog::find(name).unwrap_or_else(|| panic!("no story {name}"))
}

/// The AS's answers to the device's polls, in order.
fn poll_errors(record: &orchestrator::runner::StoryRecord) -> Vec<String> {
    record
        .steps
        .iter()
        .filter(|s| s.service == "device_token")
        .map(|s| {
            s.error
                .as_ref()
                .map_or_else(|| "tokens".to_owned(), |e| e.error.clone())
        })
        .collect()
}

#[tokio::test]
async fn rfc8628_3_5_in_process_the_device_waits_its_interval_on_the_services_clock() {
    let services = InProcess::start().await.unwrap();
    let clients = services.services().await.unwrap();
    let started = Instant::now();
    let record = run_story(&clients, story("oauth2_device_code")).await;
    let took = started.elapsed();
    assert!(record.ok, "{:?}", record.error);
    // The user had not decided at the first poll; the second came one
    // interval later by the server's clock, and was not told to slow down.
    assert_eq!(
        poll_errors(&record),
        ["authorization_pending", "tokens"],
        "{:#?}",
        record.steps
    );
    // The client waits what is left of the interval since the last answer
    // came (a millisecond or so has passed already).
    let advanced = services.clock().unwrap().advanced();
    assert!(advanced > Duration::from_millis(900), "{advanced:?}");
    assert!(
        took < Duration::from_secs(1),
        "the interval was slept through: {took:?}"
    );
}

#[tokio::test]
async fn oidc_core_3_1_2_1_in_process_a_login_grows_older_than_max_age_on_the_services_clock() {
    let services = InProcess::start().await.unwrap();
    let clients = services.services().await.unwrap();
    let started = Instant::now();
    for name in ["oidc_max_age_1", "oidc_prompt_login"] {
        let record = run_story(&clients, story(name)).await;
        assert!(record.ok, "{name}: {:?}", record.error);
        assert_eq!(record.warnings, 0, "{name}");
    }
    let took = started.elapsed();
    let advanced = services.clock().unwrap().advanced();
    assert!(advanced >= Duration::from_secs(3), "{advanced:?}");
    assert!(took < advanced, "the waits were slept through: {took:?}");
}

#[tokio::test]
async fn services_reached_by_address_wait_in_real_time() {
    let embedded = Embedded::start().await.unwrap();
    let clients = Services::connect(&embedded.as_addr.to_string(), &embedded.rp_addr.to_string())
        .await
        .unwrap();
    let started = Instant::now();
    let record = run_story(&clients, story("oauth2_device_code")).await;
    assert!(record.ok, "{:?}", record.error);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    embedded.stop().await;
}
