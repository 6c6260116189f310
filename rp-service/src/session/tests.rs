//! The session store and what a session shows of itself.
use std::time::Duration;

use super::*;
use crate::config::Config;

fn profile() -> Profile {
    Config::default_config().unwrap().profiles["client_1"].clone()
}

#[test]
fn sessions_are_separate_and_end() {
    let s = Sessions::new(Duration::from_secs(60), 10);
    let a = s.start(profile()).unwrap();
    let b = s.start(profile()).unwrap();
    assert_ne!(a, b);
    s.with(&a, |x| x.code = Some("a code".into())).unwrap();
    assert!(s.with(&b, |x| x.code.is_none()).unwrap());
    s.end(&a).unwrap();
    assert!(matches!(s.with(&a, |_| ()), Err(SessionError::NotFound(_))));
}

#[test]
fn the_number_of_sessions_is_capped() {
    let s = Sessions::new(Duration::from_secs(60), 2);
    s.start(profile()).unwrap();
    s.start(profile()).unwrap();
    assert_eq!(s.start(profile()), Err(SessionError::Full(2)));
}

#[test]
fn debug_shows_no_code_token_secret_verifier_or_dpop_key() {
    let s = Sessions::new(Duration::from_secs(60), 2);
    let id = s.start(profile()).unwrap();
    let shown = s
        .with(&id, |x| {
            x.code = Some("CODE-SECRET-1".into());
            x.tokens
                .insert("access_token".into(), "ACCESS-SECRET-2".into());
            x.tokens
                .insert("refresh_token".into(), "REFRESH-SECRET-3".into());
            x.last_dpop_proof = Some("PROOF-SECRET-4".into());
            x.dpop_nonce = Some("NONCE-SECRET-5".into());
            x.dpop_key = Some(
                oauth_core::jose::SigningKey::generate(oauth_core::jose::JwsAlgorithm::ES256)
                    .unwrap(),
            );
            x.authorization = Some(AuthorizationState {
                state: "STATE-SECRET-6".into(),
                redirect_uri: "https://rp.example/cb".into(),
                redirect_uri_unregistered: false,
                scope: Some("openid".into()),
                code_verifier: Some("VERIFIER-SECRET-7".into()),
                nonce: Some("NONCE-SECRET-8".into()),
                response_type: "code".into(),
                id_token_claims: None,
                userinfo_claims: None,
                resources: Vec::new(),
                authorization_details: None,
                sent_as: SentAs::Query,
                response_mode: None,
                acr_values: None,
                claims_locales: None,
                login: Default::default(),
            });
            x.pending = Some(Pending {
                service: ClientService::AccessToken,
                params: oauth_core::form::parse("code=CODE-SECRET-1&client_secret=SECRET-9")
                    .unwrap(),
                args: BTreeMap::new(),
                body: "code=CODE-SECRET-1&client_secret=SECRET-9".into(),
                dpop: Some("PROOF-SECRET-4".into()),
                authenticated: true,
            });
            format!("{x:?} {x:#?}")
        })
        .unwrap();
    assert!(!shown.contains("SECRET"), "{shown}");
    let secret = profile().client_secret.unwrap();
    assert!(!shown.contains(secret.expose()), "{shown}");
    // Presence and lengths are shown, and what is not secret.
    assert!(shown.contains("code: <13 bytes>"), "{shown}");
    assert!(shown.contains("\"access_token\": <15 bytes>"), "{shown}");
    assert!(shown.contains("code_verifier: <17 bytes>"), "{shown}");
    assert!(shown.contains("dpop_key: Some(\"<held>\")"), "{shown}");
    assert!(shown.contains("https://rp.example/cb"), "{shown}");
    assert!(
        shown.contains("\"client_secret\""),
        "the parameter's name: {shown}"
    );
}

#[test]
fn idle_sessions_expire() {
    let s = Sessions::new(Duration::from_millis(0), 2);
    let a = s.start(profile()).unwrap();
    assert!(s.with(&a, |_| ()).is_err());
}

/// A call at work in one session (holding its lock) does not hold up a
/// call in another: each session has its own lock.
#[test]
fn a_call_in_one_session_does_not_wait_for_another_sessions_call() {
    use std::sync::mpsc;
    let s = std::sync::Arc::new(Sessions::new(Duration::from_secs(60), 10));
    let (a, b) = (s.start(profile()).unwrap(), s.start(profile()).unwrap());
    let (entered, inside) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let busy = std::thread::spawn({
        let s = s.clone();
        move || {
            s.with(&a, |_| {
                entered.send(()).unwrap();
                released.recv().unwrap();
            })
            .unwrap();
        }
    });
    inside.recv().unwrap();
    let (done, finished) = mpsc::channel();
    std::thread::spawn({
        let s = s.clone();
        move || {
            done.send(s.with(&b, |x| x.code.is_none()).unwrap())
                .unwrap()
        }
    });
    let other = finished.recv_timeout(Duration::from_secs(10));
    release.send(()).unwrap();
    busy.join().unwrap();
    assert_eq!(other, Ok(true), "the other session's call waited");
}
