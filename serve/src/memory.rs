//! gRPC between tasks of one process over in-memory byte pipes: the same
//! HTTP/2 frames and protobuf messages as over TCP, without the kernel's
//! loopback, socket calls or an address. Each connection a channel opens is
//! a fresh `tokio::io::duplex` pair; the server takes the other half from
//! the stream [`link`] returns.
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use tokio::io::DuplexStream;
use tokio::sync::mpsc;
use tonic::codegen::Service;
use tonic::transport::{Channel, Endpoint, Uri};

/// Bytes either direction of a connection may hold unread: room for an
/// HTTP/2 frame of the default 16 KiB size and more, so a writer rarely
/// waits on its reader.
const PIPE_BYTES: usize = 256 * 1024;

/// Opens connections to one in-process server; cheap to clone.
#[derive(Clone)]
pub struct Connector {
    server: mpsc::UnboundedSender<DuplexStream>,
}

/// A connector, and the connections it opens as the server sees them: a
/// stream for `Server::serve_with_incoming` that ends when every clone of
/// the connector is dropped.
pub fn link() -> (
    Connector,
    impl tokio_stream::Stream<Item = std::io::Result<DuplexStream>>,
) {
    use tokio_stream::StreamExt;
    let (server, accepted) = mpsc::unbounded_channel();
    let incoming = tokio_stream::wrappers::UnboundedReceiverStream::new(accepted).map(Ok);
    (Connector { server }, incoming)
}

impl Connector {
    /// A connected channel over a new in-memory connection. The URI only
    /// fills the `:authority` of the requests; nothing resolves it.
    pub async fn channel(&self) -> Result<Channel, tonic::transport::Error> {
        Endpoint::from_static("http://in-process")
            .connect_with_connector(self.clone())
            .await
    }
}

/// Why a connection could not be opened: the server is gone.
#[derive(Debug)]
pub struct ServerGone;

impl std::fmt::Display for ServerGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the in-process server has stopped")
    }
}

impl std::error::Error for ServerGone {}

impl Service<Uri> for Connector {
    type Response = TokioIo<DuplexStream>;
    type Error = ServerGone;
    type Future = Ready<Result<Self::Response, ServerGone>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ServerGone>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let (client, server) = tokio::io::duplex(PIPE_BYTES);
        ready(
            self.server
                .send(server)
                .map(|()| TokioIo::new(client))
                .map_err(|_| ServerGone),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

    /// A gRPC call crosses the pipe both ways: a health check answered by
    /// a tonic server that sees the connection only as the stream's item.
    #[tokio::test]
    async fn a_grpc_call_crosses_an_in_memory_link() {
        let (connector, incoming) = super::link();
        let (_reporter, health) = tonic_health::server::health_reporter();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(health)
                .serve_with_incoming(incoming),
        );
        let channel = connector.channel().await.unwrap();
        let answer = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.status, ServingStatus::Serving as i32);
    }

    /// Once the server side is gone, connecting fails instead of hanging.
    #[tokio::test]
    async fn connecting_to_a_stopped_server_fails() {
        let (connector, incoming) = super::link();
        drop(incoming);
        assert!(connector.channel().await.is_err());
    }
}
