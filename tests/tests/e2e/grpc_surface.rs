//! What grpcurl sees: reflection (v1 and v1alpha) lists both services on
//! both servers, health reports SERVING; and the RP's gRPC errors are clear.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::SocketAddr;

use e2e_tests::{channel, rp_client, start};
use oidc_story_proto::v1::{
    OAuthResponse, ParseResponseRequest, PrepareRequestRequest, StartSessionRequest,
};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_reflection::pb::{v1, v1alpha};

async fn services_v1(addr: SocketAddr) -> Vec<String> {
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel(addr).await);
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream.next().await.unwrap().unwrap();
    match response.message_response.unwrap() {
        v1::server_reflection_response::MessageResponse::ListServicesResponse(list) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

async fn services_v1alpha(addr: SocketAddr) -> Vec<String> {
    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(channel(addr).await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream.next().await.unwrap().unwrap();
    match response.message_response.unwrap() {
        v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

#[tokio::test]
async fn reflection_v1_and_v1alpha_list_what_each_server_serves() {
    let services = start().await;
    for (addr, own, other) in [
        (
            services.as_addr,
            "oidcstory.v1.AuthorizationServer",
            "oidcstory.v1.RelyingParty",
        ),
        (
            services.rp_addr,
            "oidcstory.v1.RelyingParty",
            "oidcstory.v1.AuthorizationServer",
        ),
    ] {
        for names in [services_v1(addr).await, services_v1alpha(addr).await] {
            for expected in [own, "grpc.health.v1.Health"] {
                assert!(
                    names.iter().any(|n| n == expected),
                    "{addr}: {expected} missing from {names:?}"
                );
            }
            assert!(
                !names.iter().any(|n| n == other),
                "{addr} does not serve {other}"
            );
        }
    }
}

#[tokio::test]
async fn health_reports_each_service_serving() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let services = start().await;
    for (addr, name) in [
        (services.as_addr, "oidcstory.v1.AuthorizationServer"),
        (services.rp_addr, "oidcstory.v1.RelyingParty"),
    ] {
        let mut health = HealthClient::new(channel(addr).await);
        for service in [name, ""] {
            let status = health
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .unwrap()
                .into_inner()
                .status;
            assert_eq!(status, ServingStatus::Serving as i32, "{addr} {service:?}");
        }
    }
}

#[tokio::test]
async fn rp_errors_are_clear_grpc_statuses() {
    let services = start().await;
    let mut rp = rp_client(services.rp_addr).await;
    let e = rp
        .start_session(StartSessionRequest {
            profile: "nobody".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e.message().contains("client_1"), "{}", e.message());

    let e = rp
        .prepare_request(PrepareRequestRequest {
            session_id: "no-such-session".into(),
            service: "client_credentials".into(),
            args: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    let session_id = rp
        .start_session(StartSessionRequest {
            profile: "client_1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .session_id;
    let e = rp
        .prepare_request(PrepareRequestRequest {
            session_id: session_id.clone(),
            service: "teleport".into(),
            args: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("client_credentials"),
        "{}",
        e.message()
    );

    let e = rp
        .prepare_request(PrepareRequestRequest {
            session_id: session_id.clone(),
            service: "client_credentials".into(),
            args: [("colour".to_owned(), "blue".to_owned())].into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);

    let e = rp
        .parse_response(ParseResponseRequest {
            session_id: session_id.clone(),
            service: "client_credentials".into(),
            response: Some(OAuthResponse {
                status: 200,
                ..Default::default()
            }),
            inbound: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "nothing was prepared");
}

#[tokio::test]
async fn the_rp_reports_an_as_refusal_as_a_failed_step_with_the_error() {
    let services = start().await;
    let mut rp = rp_client(services.rp_addr).await;
    let session_id = rp
        .start_session(StartSessionRequest {
            profile: "client_1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .session_id;
    rp.prepare_request(PrepareRequestRequest {
        session_id: session_id.clone(),
        service: "client_credentials".into(),
        args: Default::default(),
    })
    .await
    .unwrap();
    let refusal = OAuthResponse {
        status: 401,
        headers: [("content-type".to_owned(), "application/json".to_owned())].into(),
        body: r#"{"error":"invalid_client","error_description":"nope"}"#.into(),
        location: String::new(),
        outbound: Vec::new(),
    };
    let parsed = rp
        .parse_response(ParseResponseRequest {
            session_id,
            service: "client_credentials".into(),
            response: Some(refusal),
            inbound: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!parsed.ok);
    assert_eq!(parsed.error, "invalid_client");
    assert_eq!(parsed.error_description, "nope");
}
