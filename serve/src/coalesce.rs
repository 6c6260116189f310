//! A connection that tells HTTP/2 it has no vectored writes, so that small
//! answers share one write.
//!
//! The HTTP/2 codec copies a DATA frame's payload into its write buffer
//! only below a threshold: 256 bytes when the connection has vectored
//! writes, 1,024 bytes otherwise. A larger payload is queued beside the
//! buffer and must be written before the next frame is taken. A gRPC
//! answer of a few hundred bytes (a token response) is above the first
//! threshold and below the second: over a plain TCP socket every answer
//! costs a `writev` of its own, sixteen for sixteen answers ready at once;
//! over [`Coalesced`] the sixteen go out in one write.
use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// `T`, with its vectored writes hidden.
#[derive(Debug)]
pub struct Coalesced<T>(pub T);

impl<T: AsyncRead + Unpin> AsyncRead for Coalesced<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Coalesced<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        // Still correct if called: the inner stream writes what it can.
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<T: tonic::transport::server::Connected> tonic::transport::server::Connected for Coalesced<T> {
    type ConnectInfo = T::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.0.connect_info()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use tonic::transport::server::Connected;

    use super::Coalesced;

    /// The socket writes vectored; the wrapper says it does not, and bytes
    /// and the peer's address pass through both ways.
    #[tokio::test]
    async fn a_coalesced_socket_hides_vectored_writes_and_passes_bytes_through() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        assert!(accepted.is_write_vectored());
        let mut served = Coalesced(accepted);
        assert!(!served.is_write_vectored());
        assert_eq!(
            served.connect_info().remote_addr(),
            Some(client.local_addr().unwrap())
        );
        let mut client = client;
        client.write_all(b"request").await.unwrap();
        let mut got = [0u8; 7];
        served.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"request");
        let slices = [std::io::IoSlice::new(b"an"), std::io::IoSlice::new(b"swer")];
        // A vectored write still works; what it leaves is written after.
        let n = served.write_vectored(&slices).await.unwrap();
        served.write_all(&b"answer"[n..]).await.unwrap();
        served.flush().await.unwrap();
        served.shutdown().await.unwrap();
        let mut answer = String::new();
        client.read_to_string(&mut answer).await.unwrap();
        assert_eq!(answer, "answer");
    }
}
