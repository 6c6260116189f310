//! The RP's Advance call: opening a session, parsing one answer, preparing
//! the next request and forgetting the session, in one call each, as
//! ParseResponse and PrepareRequest would do them one after the other.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use e2e_tests::{as_client, rp_client, start};
use oidc_story_proto::v1::{
    AdvanceRequest, Endpoint, ParseResponseRequest, PrepareRequestRequest, PreparedRequest,
};
use tonic::Code;

fn prepare(service: &str) -> Option<PrepareRequestRequest> {
    Some(PrepareRequestRequest {
        service: service.into(),
        ..Default::default()
    })
}

fn parse(
    service: &str,
    response: oidc_story_proto::v1::OAuthResponse,
) -> Option<ParseResponseRequest> {
    Some(ParseResponseRequest {
        service: service.into(),
        response: Some(response),
        ..Default::default()
    })
}

#[tokio::test]
async fn a_client_credentials_story_takes_two_rp_calls_and_leaves_no_session() {
    let services = start().await;
    let mut rp = rp_client(services.rp_addr).await;
    let mut authorization_server = as_client(services.as_addr).await;
    let opened = rp
        .advance(AdvanceRequest {
            start_profile: "client_1".into(),
            prepare: prepare("client_credentials"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!opened.session_id.is_empty());
    assert!(opened.parsed.is_none(), "nothing was asked to be parsed");
    let PreparedRequest {
        endpoint, request, ..
    } = opened.prepared.unwrap();
    assert_eq!(endpoint, Endpoint::Token as i32);
    let answer = authorization_server
        .token(request.unwrap())
        .await
        .unwrap()
        .into_inner();
    let last = rp
        .advance(AdvanceRequest {
            session_id: opened.session_id.clone(),
            parse: parse("client_credentials", answer),
            end_session: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let parsed = last.parsed.unwrap();
    // The token is there (its signature needs the AS's keys, a step this
    // story leaves out).
    assert!(parsed.error.is_empty());
    assert!(
        parsed
            .checks
            .iter()
            .any(|c| c.id == "token.access_token" && c.ok),
        "{:?}",
        parsed.checks
    );
    assert!(last.prepared.is_none() && last.prepare_error.is_empty());
    // Forgotten: the session is no longer there.
    let e = rp
        .advance(AdvanceRequest {
            session_id: opened.session_id,
            prepare: prepare("client_credentials"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
}

#[tokio::test]
async fn a_next_request_that_cannot_be_made_is_reported_beside_the_parse() {
    let services = start().await;
    let mut rp = rp_client(services.rp_addr).await;
    let mut authorization_server = as_client(services.as_addr).await;
    let opened = rp
        .advance(AdvanceRequest {
            start_profile: "client_1".into(),
            prepare: prepare("client_credentials"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let request = opened.prepared.unwrap().request.unwrap();
    let answer = authorization_server
        .token(request)
        .await
        .unwrap()
        .into_inner();
    // A code exchange with no authorization before it cannot be prepared.
    let next = rp
        .advance(AdvanceRequest {
            session_id: opened.session_id,
            parse: parse("client_credentials", answer),
            prepare: prepare("accesstoken"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let parsed = next.parsed.unwrap();
    assert!(
        parsed.error.is_empty() && parsed.checks.iter().any(|c| c.id == "token.access_token"),
        "the parse stands"
    );
    assert!(next.prepared.is_none());
    assert!(
        next.prepare_error.contains("no authorization request"),
        "{}",
        next.prepare_error
    );
}

#[tokio::test]
async fn a_session_to_forget_is_forgotten_even_when_the_call_fails() {
    let services = start().await;
    let mut rp = rp_client(services.rp_addr).await;
    let opened = rp
        .advance(AdvanceRequest {
            start_profile: "client_1".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // Nothing was prepared, so there is nothing to parse: the call fails...
    let e = rp
        .advance(AdvanceRequest {
            session_id: opened.session_id.clone(),
            parse: parse(
                "client_credentials",
                oidc_story_proto::v1::OAuthResponse {
                    status: 200,
                    ..Default::default()
                },
            ),
            end_session: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    // ...and the session is gone all the same.
    let e = rp
        .advance(AdvanceRequest {
            session_id: opened.session_id,
            prepare: prepare("client_credentials"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
}

#[tokio::test]
async fn advance_refuses_a_call_naming_no_session_or_two_or_an_unknown_service() {
    let services = start().await;
    let mut rp = rp_client(services.rp_addr).await;
    let neither = rp
        .advance(AdvanceRequest {
            prepare: prepare("client_credentials"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(neither.code(), Code::InvalidArgument);
    let both = rp
        .advance(AdvanceRequest {
            session_id: "some-session".into(),
            start_profile: "client_1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(both.code(), Code::InvalidArgument);
    let unknown = rp
        .advance(AdvanceRequest {
            start_profile: "client_1".into(),
            prepare: prepare("teleport"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert!(
        unknown.message().contains("client_credentials"),
        "names the services there are: {}",
        unknown.message()
    );
    let nobody = rp
        .advance(AdvanceRequest {
            start_profile: "nobody".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(nobody.code(), Code::NotFound);
}
