//! Several AS replicas sharing one Redis store: consecutive steps of a story
//! land on different replicas, a replica can go away, all of them can
//! restart, and nothing issued before is lost.
//!
//! The tests that need a Redis server are ignored by default, so a count of
//! passed tests never includes them without one. Run them with one:
//! `OIDC_STORY_REDIS=redis://127.0.0.1:6379/15 cargo test -p e2e-tests --test
//! e2e -- --include-ignored replicas::` (.ci/run starts a server and does). Asked
//! to run without the variable, they fail and say why.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use as_service::AuthServer;
use as_service::config::Config;
use as_service::store::{MemoryStore, RedisStore, Store};
use oauth_core::jose::KeySet;
use orchestrator::catalog;
use orchestrator::runner::{Services, run_story};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const NEEDS_REDIS: &str = "needs a Redis server: set OIDC_STORY_REDIS (redis://127.0.0.1:6379/15) and pass --include-ignored";

fn redis_url() -> String {
    match std::env::var("OIDC_STORY_REDIS") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("this test {NEEDS_REDIS}"),
    }
}

/// One running AS replica.
struct Replica {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Replica {
    async fn start(keys: &str, store: Arc<dyn Store>) -> Self {
        // Every test process and run shares one Redis and one caller
        // (127.0.0.1): the per-caller registration limit and the throttle
        // on guessed user codes are for other tests.
        let mut config = Config::default_config().unwrap();
        config.registration.max_per_caller_per_minute = 0;
        config.device.max_user_code_failures = u64::MAX;
        config.device.max_global_user_code_failures = u64::MAX;
        let server = AuthServer::build(
            config,
            KeySet::from_private_jwks(keys).unwrap(),
            store,
            Arc::new(oauth_core::clock::SystemClock),
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            as_service::run(listener, server, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

async fn rp() -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let rp = rp_service::RelyingParty::new(rp_service::config::Config::default_config().unwrap());
    tokio::spawn(rp_service::run(listener, rp, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

async fn services(replicas: &[&Replica], rp: std::net::SocketAddr) -> Services {
    let list: Vec<String> = replicas.iter().map(|r| r.addr.to_string()).collect();
    Services::connect(&list.join(","), &rp.to_string())
        .await
        .unwrap()
}

async fn redis_store(url: &str) -> Arc<dyn Store> {
    Arc::new(RedisStore::connect(url).await.unwrap())
}

#[tokio::test]
#[ignore = "needs a running Redis named by OIDC_STORY_REDIS (e.g. redis://127.0.0.1:6379/15); run with --include-ignored, as .ci/run does"]
async fn every_story_passes_across_two_replicas_sharing_redis() {
    let url = redis_url();
    let keys = KeySet::generate().unwrap().to_private_jwks();
    let a = Replica::start(&keys, redis_store(&url).await).await;
    let b = Replica::start(&keys, redis_store(&url).await).await;
    let (rp_addr, _rp) = rp().await;
    let clients = services(&[&a, &b], rp_addr).await;
    for story in catalog::all() {
        let record = run_story(&clients, story).await;
        assert!(record.ok, "{}: {:?}", story.name, record.error);
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn with_separate_memory_stores_the_steps_visibly_land_on_different_replicas() {
    // The control experiment: the same round-robin over replicas that do
    // not share state fails — the code issued by one is unknown to the other.
    let keys = KeySet::generate().unwrap().to_private_jwks();
    let a = Replica::start(&keys, Arc::new(MemoryStore::new())).await;
    let b = Replica::start(&keys, Arc::new(MemoryStore::new())).await;
    let (rp_addr, _rp) = rp().await;
    let clients = services(&[&a, &b], rp_addr).await;
    let record = run_story(&clients, catalog::find("oauth2_code").unwrap()).await;
    assert!(!record.ok);
    let token = record.steps.last().unwrap();
    assert_eq!(
        token.error.as_ref().unwrap().error,
        "invalid_grant",
        "the code was issued by the other replica"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
#[ignore = "needs a running Redis named by OIDC_STORY_REDIS (e.g. redis://127.0.0.1:6379/15); run with --include-ignored, as .ci/run does"]
async fn refresh_and_registrations_survive_replica_loss_and_a_full_restart() {
    let url = redis_url();
    let keys = KeySet::generate().unwrap().to_private_jwks();
    let a = Replica::start(&keys, redis_store(&url).await).await;
    let b = Replica::start(&keys, redis_store(&url).await).await;
    let (rp_addr, _rp) = rp().await;
    // Tokens (and a registered client) issued with both replicas up.
    let both = services(&[&a, &b], rp_addr).await;
    let mut rp_client = both.relying_party.clone();
    use oidc_story_proto::v1::{ParseResponseRequest, PrepareRequestRequest, StartSessionRequest};
    let session = rp_client
        .start_session(StartSessionRequest {
            profile: "client".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .session_id;
    let steps = ["server_metadata", "authorization", "accesstoken"];
    let run = |service: &'static str, clients: Services, session: String| async move {
        let mut rp = clients.relying_party.clone();
        let request = rp
            .prepare_request(PrepareRequestRequest {
                session_id: session.clone(),
                service: service.into(),
                args: Default::default(),
            })
            .await
            .unwrap()
            .into_inner()
            .request
            .unwrap();
        let mut op = clients.authorization_server();
        let response = match service {
            "server_metadata" => op.server_metadata(request).await,
            "authorization" => op.authorization(request).await,
            _ => op.token(request).await,
        }
        .unwrap()
        .into_inner();
        rp.parse_response(ParseResponseRequest {
            session_id: session,
            service: service.into(),
            response: Some(response),
            inbound: None,
        })
        .await
        .unwrap()
        .into_inner()
    };
    for service in steps {
        assert!(
            run(service, both.clone(), session.clone()).await.ok,
            "{service}"
        );
    }
    let dyn_reg = run_story(&both, catalog::find("oidc_code_dyn_reg").unwrap()).await;
    assert!(dyn_reg.ok);
    let registration = dyn_reg
        .steps
        .iter()
        .find(|s| s.service == "registration")
        .unwrap();
    let client_id = registration.response.body["client_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Replica a goes away: refreshing works through b alone.
    a.stop().await;
    let only_b = services(&[&b], rp_addr).await;
    assert!(
        run("refresh_token", only_b.clone(), session.clone())
            .await
            .ok,
        "refresh through the surviving replica"
    );

    // Every replica restarts: the refresh token (rotated) and the
    // registration made before still work.
    b.stop().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = Replica::start(&keys, redis_store(&url).await).await;
    let d = Replica::start(&keys, redis_store(&url).await).await;
    let restarted = services(&[&c, &d], rp_addr).await;
    assert!(
        run("refresh_token", restarted.clone(), session.clone())
            .await
            .ok,
        "refresh after the restart"
    );
    let mut op = restarted.authorization_server();
    let authorize = op
        .authorization(oidc_story_proto::v1::OAuthRequest {
            method: "GET".into(),
            url: format!("https://example.com/authorization?response_type=code&client_id={client_id}&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&scope=openid&state=s&nonce=n"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        authorize.status, 302,
        "the registered client still exists: {}",
        authorize.body
    );
    assert!(authorize.location.contains("code="));
    c.stop().await;
    d.stop().await;
}

#[tokio::test]
#[ignore = "needs a running Redis named by OIDC_STORY_REDIS (e.g. redis://127.0.0.1:6379/15); run with --include-ignored, as .ci/run does"]
async fn a_replica_stopped_during_concurrent_stories_loses_no_correct_answer() {
    let url = redis_url();
    let keys = KeySet::generate().unwrap().to_private_jwks();
    let a = Replica::start(&keys, redis_store(&url).await).await;
    let b = Replica::start(&keys, redis_store(&url).await).await;
    let (rp_addr, _rp) = rp().await;
    let clients = services(&[&a, &b], rp_addr).await;
    let stop_at = tokio::time::Instant::now() + Duration::from_millis(600);
    let mut workers = Vec::new();
    for w in 0..8usize {
        let clients = clients.clone();
        workers.push(tokio::spawn(async move {
            let stories: Vec<_> = catalog::all().collect();
            let mut results = Vec::new();
            let mut i = w;
            let deadline = tokio::time::Instant::now() + Duration::from_millis(1800);
            while tokio::time::Instant::now() < deadline {
                let started = tokio::time::Instant::now();
                let story = stories[i % stories.len()];
                i += 1;
                let record = run_story(&clients, story).await;
                results.push((started, story.name, record));
            }
            results
        }));
    }
    tokio::time::sleep_until(stop_at).await;
    a.stop().await;
    let stopped = tokio::time::Instant::now();
    let mut after = 0;
    for w in workers {
        for (started, name, record) in w.await.unwrap() {
            // A story may be cut off by the loss (a transport error), but
            // never answered wrongly: any failed step is a transport fault.
            if !record.ok {
                assert!(
                    record.error.is_some(),
                    "{name} got a wrong answer: {}",
                    orchestrator::render::json::story(&record)
                );
                assert!(
                    started < stopped,
                    "{name} started after the loss and failed: {:?}",
                    record.error
                );
            }
            if started > stopped {
                after += 1;
            }
        }
    }
    assert!(
        after > 8,
        "stories ran through the remaining replica ({after})"
    );
    b.stop().await;
}

/// RFC 8628 in the shared store: each device code step one script — a user
/// code names one authorization, is decided once, a denied code stays
/// denied, another client's poll changes nothing, an approved code is
/// redeemed once, and polls are judged against the interval.
#[tokio::test]
#[ignore = "needs a running Redis named by OIDC_STORY_REDIS (e.g. redis://127.0.0.1:6379/15); run with --include-ignored, as .ci/run does"]
async fn device_codes_in_redis_are_decided_once_and_redeemed_once() {
    use as_service::store::{
        DeviceApproval, DeviceDecision, DeviceGrant, DevicePoll, DeviceState, DeviceStore,
    };
    let store = RedisStore::connect(&redis_url()).await.unwrap();
    let now = oauth_core::clock::Clock::now(&oauth_core::clock::SystemClock);
    let run = oauth_core::random::token(8);
    let key = |what: &str| format!("{what}-{run}");
    let grant = DeviceGrant {
        client_id: "client".into(),
        scope: oauth_core::scope::Scope::parse("foobar").unwrap(),
        expires_at: now + 60,
        interval: 5,
        state: DeviceState::Pending,
        target: Default::default(),
    };
    for d in ["approved", "denied"] {
        assert!(
            store
                .put_device(key(d), key(&format!("u-{d}")), grant.clone(), now)
                .await
                .unwrap()
        );
    }
    assert!(
        !store
            .put_device(key("other"), key("u-approved"), grant.clone(), now)
            .await
            .unwrap(),
        "a user code in use is not issued again"
    );
    let pending = store
        .device_by_user_code(&key("u-approved"), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.client_id, "client");
    let ms = now * 1000;
    assert_eq!(
        store
            .poll_device(&key("approved"), "client", ms)
            .await
            .unwrap(),
        DevicePoll::Pending
    );
    assert_eq!(
        store
            .poll_device(&key("approved"), "client", ms + 4_999)
            .await
            .unwrap(),
        DevicePoll::SlowDown { interval: 10 }
    );
    let approval = DeviceState::Approved(DeviceApproval {
        user: "diana".into(),
        subject: "diana".into(),
        auth_time: now,
        acr: None,
    });
    assert!(matches!(
        store
            .decide_device(&key("u-approved"), approval.clone(), now)
            .await
            .unwrap(),
        DeviceDecision::Decided(_)
    ));
    assert_eq!(
        store
            .decide_device(&key("u-approved"), DeviceState::Denied, now)
            .await
            .unwrap(),
        DeviceDecision::Unknown,
        "decided once"
    );
    assert_eq!(
        store
            .poll_device(&key("approved"), "client_2", ms + 20_000)
            .await
            .unwrap(),
        DevicePoll::WrongClient
    );
    match store
        .poll_device(&key("approved"), "client", ms + 20_000)
        .await
        .unwrap()
    {
        DevicePoll::Approved(g) => {
            assert_eq!(g.state, approval);
            assert_eq!(g.interval, 10);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .poll_device(&key("approved"), "client", ms + 40_000)
            .await
            .unwrap(),
        DevicePoll::Unknown,
        "redeemed once"
    );
    store
        .decide_device(&key("u-denied"), DeviceState::Denied, now)
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            store
                .poll_device(&key("denied"), "client", ms)
                .await
                .unwrap(),
            DevicePoll::Denied
        );
    }
    assert_eq!(
        store
            .poll_device(&key("denied"), "client", (now + 60) * 1000)
            .await
            .unwrap(),
        DevicePoll::Expired
    );
}
