//! The client_credentials Token RPC without the transport: the envelope
//! decoded from protobuf, answered (client authentication, the grant, an
//! ES256 access token) and the answer encoded back, N times, with the
//! allocator the AS runs with. An instrument for the AS's own share of a
//! token's cost, apart from HTTP/2 and the kernel:
//!
//! ```sh
//! cargo build --release -p as-service --example token_path
//! valgrind --tool=callgrind target/release/examples/token_path 5000
//! ```
//!
//! (`rounds` is the loop: its inclusive count over N is the cost per token,
//! in instructions, the same from run to run.)
#![allow(clippy::expect_used, clippy::unwrap_used)]

use as_service::AuthServer;
use as_service::config::Config;
use as_service::grpc::AuthorizationServerService;
use oauth_core::jose::KeySet;
use oidc_story_proto::v1::OAuthRequest;
use oidc_story_proto::v1::authorization_server_server::AuthorizationServer;
use prost::Message;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[inline(never)]
fn rounds(
    runtime: &tokio::runtime::Runtime,
    service: &AuthorizationServerService,
    wire: &[u8],
    n: usize,
) -> usize {
    runtime.block_on(async {
        let mut bytes = 0;
        for _ in 0..n {
            let decoded = OAuthRequest::decode(wire).unwrap();
            let answer = service.token(tonic::Request::new(decoded)).await.unwrap();
            let out = answer.into_inner().encode_to_vec();
            bytes += out.len();
        }
        bytes
    })
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(async {
        AuthServer::new(
            Config::default_config().unwrap(),
            KeySet::generate().unwrap(),
        )
        .unwrap()
    });
    let service = AuthorizationServerService::new(server);
    let basic = oauth_core::client_auth::basic_header(
        "client_1",
        &oauth_core::secret::Secret::new("another password"),
    );
    // The request the token load sends (`orchestrator bench --token-endpoint`).
    let http = oauth_core::http::HttpRequest::new(
        "POST",
        "https://example.com/token",
        [
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", basic.as_str()),
        ],
        "grant_type=client_credentials",
    )
    .unwrap();
    let request = OAuthRequest {
        method: http.method.clone(),
        url: http.url.to_string(),
        headers: http.headers().clone(),
        body: http.body.clone(),
    };
    let wire = request.encode_to_vec();
    let bytes = rounds(&runtime, &service, &wire, n);
    println!("{n} tokens, {bytes} bytes answered");
}
