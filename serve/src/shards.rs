//! Threads that each run a single-threaded tokio runtime ("shards"): work
//! dealt over them keeps each share on one thread. A gRPC call is a chain
//! of hand-offs between tasks (the caller, the client connection, the
//! server connection, the request, and back); on one thread none of them
//! wakes another thread and the caches stay warm, where a work-stealing
//! runtime moves the links of one chain between its workers (measured in
//! docs/PERFORMANCE.md). The servers serve each accepted connection on one
//! shard ([`deal`]); the orchestrator's benchmark runs each share of its
//! load on one.
use std::future::Future;
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::Stream;

/// The running shards; dropping them stops every one (what still runs on
/// them is dropped).
pub struct Shards {
    shards: Vec<Shard>,
}

struct Shard {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Shards {
    /// `count` shards (at least one), each a thread of its own.
    pub fn start(count: usize) -> std::io::Result<Self> {
        let mut shards = Vec::new();
        for i in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("shard-{i}"))
                .spawn(move || {
                    // Tasks spawned through the handle run while this waits.
                    runtime.block_on(async {
                        let _ = stopped.await;
                    });
                })?;
            shards.push(Shard {
                handle,
                stop: Some(stop),
                thread: Some(thread),
            });
        }
        Ok(Self { shards })
    }

    /// As many shards as the machine has cores, and no more than `work`
    /// (there is no use for a shard with nothing to run).
    pub fn for_work(work: usize) -> std::io::Result<Self> {
        Self::start(Self::cores().min(work))
    }

    /// The machine's cores (what the process may use), at least one.
    pub fn cores() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    pub fn len(&self) -> usize {
        self.shards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// The runtime of shard `i` (counted round the shards).
    pub fn handle(&self, i: usize) -> &Handle {
        &self.shards[i % self.shards.len()].handle
    }

    /// Runs `work` on shard `i` and waits for what it returns; an error if
    /// it panicked.
    pub async fn run<T, F>(&self, i: usize, work: F) -> Result<T, tokio::task::JoinError>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        self.handle(i).spawn(work).await
    }
}

impl Drop for Shards {
    fn drop(&mut self) {
        for shard in &mut self.shards {
            if let Some(stop) = shard.stop.take() {
                let _ = stop.send(());
            }
        }
        for shard in &mut self.shards {
            if let Some(thread) = shard.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// Accepts connections on `listener` (in the returned future, on the
/// runtime that polls it) and deals them round `count` streams, one per
/// shard: the `i`-th yields every `count`-th connection, set to send
/// without delay (gRPC's small messages). The future ends when every
/// stream is dropped.
pub fn deal(
    listener: TcpListener,
    count: usize,
) -> (impl Future<Output = ()> + Send + 'static, Vec<Dealt>) {
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..count.max(1))
        .map(|_| mpsc::unbounded_channel::<std::net::TcpStream>())
        .unzip();
    let acceptor = async move {
        let mut next = 0usize;
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = all_closed(&senders) => return,
            };
            let mut stream = match accepted.and_then(|(stream, _)| {
                stream.set_nodelay(true)?;
                stream.into_std()
            }) {
                Ok(stream) => Some(stream),
                Err(e) => {
                    // Out of descriptors and the like: wait a moment
                    // rather than spin, then accept again.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            // A shard whose server has stopped takes no more; the next does.
            for _ in 0..senders.len() {
                let Some(s) = stream.take() else { break };
                let i = next % senders.len();
                next = next.wrapping_add(1);
                if let Err(mpsc::error::SendError(back)) = senders[i].send(s) {
                    stream = Some(back);
                }
            }
        }
    };
    (acceptor, receivers.into_iter().map(Dealt).collect())
}

/// The connections dealt to one shard, as TCP streams of the runtime that
/// polls this (the shard's), coalesced ([`crate::coalesce`]).
pub struct Dealt(mpsc::UnboundedReceiver<std::net::TcpStream>);

impl Stream for Dealt {
    type Item = std::io::Result<crate::coalesce::Coalesced<tokio::net::TcpStream>>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0
            .poll_recv(cx)
            .map(|s| s.map(|s| tokio::net::TcpStream::from_std(s).map(crate::coalesce::Coalesced)))
    }
}

/// Completes once no shard takes connections any more.
async fn all_closed(senders: &[mpsc::UnboundedSender<std::net::TcpStream>]) {
    for sender in senders {
        sender.closed().await;
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Serves `listener`'s connections on every shard: `serve` makes the
/// server of one shard's connections, run on that shard, until it ends;
/// once every server has ended, the first error (or a server's panic) is
/// the outcome. A server that ends early with an error is logged then, and
/// its share of the connections goes to the others.
pub async fn serve_dealt<F, S>(
    listener: TcpListener,
    shards: &Shards,
    serve: F,
) -> Result<(), BoxError>
where
    F: Fn(Dealt) -> S,
    S: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    let (acceptor, dealt) = deal(listener, shards.len());
    let acceptor = tokio::spawn(acceptor);
    let servers: Vec<_> = dealt
        .into_iter()
        .enumerate()
        .map(|(i, incoming)| {
            let server = serve(incoming);
            shards.handle(i).spawn(async move {
                let result = server.await;
                // Said at once: the other shards go on serving (the
                // acceptor deals round this one), so the outcome waits.
                if let Err(e) = &result {
                    tracing::error!(shard = i, error = %e, "a serving thread stopped");
                }
                result
            })
        })
        .collect();
    let mut outcome = Ok(());
    for server in servers {
        let result = server
            .await
            .unwrap_or_else(|e| Err(format!("a serving thread failed: {e}").into()));
        if outcome.is_ok() {
            outcome = result;
        }
    }
    acceptor.abort();
    outcome
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::Shards;
    use tokio::sync::oneshot;

    /// Work handed to a shard runs on that shard's thread, and what it
    /// spawns runs there too.
    #[tokio::test]
    async fn work_and_what_it_spawns_stay_on_the_shards_thread() {
        let shards = Shards::start(2).unwrap();
        for i in 0..2 {
            let (outer, inner) = shards
                .run(i, async {
                    let outer = std::thread::current().name().map(str::to_owned);
                    let inner =
                        tokio::spawn(async { std::thread::current().name().map(str::to_owned) })
                            .await
                            .unwrap();
                    (outer, inner)
                })
                .await
                .unwrap();
            assert_eq!(outer.as_deref(), Some(format!("shard-{i}").as_str()));
            assert_eq!(inner, outer);
        }
    }

    /// A panic in work handed to a shard comes back as an error, and the
    /// shard goes on running other work.
    #[tokio::test]
    async fn a_panic_on_a_shard_is_an_error_and_the_shard_survives() {
        let shards = Shards::start(1).unwrap();
        let failed = shards
            .run(0, async {
                if std::env::var_os("PATH").is_some() {
                    panic!("deliberate");
                }
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(shards.run(0, async { 7 }).await.unwrap(), 7);
    }

    /// Connections are dealt round the shards in the order they arrive;
    /// once a shard takes no more, the others take its share.
    #[tokio::test]
    async fn connections_are_dealt_in_turn_and_skip_a_stopped_shard() {
        use tokio_stream::StreamExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (acceptor, dealt) = super::deal(listener, 2);
        let acceptor = tokio::spawn(acceptor);
        let [mut first, mut second]: [super::Dealt; 2] = dealt.try_into().ok().unwrap();
        let mut clients = Vec::new();
        let wait = std::time::Duration::from_secs(10);
        for shard in [0, 1, 0, 1] {
            let client = tokio::net::TcpStream::connect(address).await.unwrap();
            let dealt = if shard == 0 { &mut first } else { &mut second };
            let served = tokio::time::timeout(wait, dealt.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(served.0.peer_addr().unwrap(), client.local_addr().unwrap());
            assert!(served.0.nodelay().unwrap());
            clients.push(client);
        }
        drop(first);
        for _ in 0..2 {
            let client = tokio::net::TcpStream::connect(address).await.unwrap();
            let served = tokio::time::timeout(wait, second.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(served.0.peer_addr().unwrap(), client.local_addr().unwrap());
        }
        // With no shard left, the acceptor ends.
        drop(second);
        tokio::time::timeout(wait, acceptor).await.unwrap().unwrap();
    }

    /// A shard's server that fails at once is logged and skipped: the
    /// connections go to the other shard, and the failure is the outcome
    /// once every server has ended.
    #[tokio::test]
    async fn a_failed_servers_connections_go_to_the_others_and_its_error_is_the_outcome() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio_stream::StreamExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let shards = Shards::start(2).unwrap();
        let made = AtomicUsize::new(0);
        let served = Arc::new(AtomicUsize::new(0));
        let (failed, failing) = oneshot::channel::<()>();
        let failed = std::sync::Mutex::new(Some(failed));
        let serving = super::serve_dealt(listener, &shards, |mut incoming| {
            let first = made.fetch_add(1, Ordering::SeqCst) == 0;
            let told = failed.lock().unwrap().take().filter(|_| first);
            let served = served.clone();
            async move {
                if let Some(told) = told {
                    let _ = told.send(());
                    return Err("deliberate".into());
                }
                for _ in 0..3 {
                    incoming.next().await.unwrap().unwrap();
                    served.fetch_add(1, Ordering::SeqCst);
                }
                Ok(())
            }
        });
        let connect = async {
            failing.await.unwrap();
            // The failed server's future, and with it its connections'
            // stream, is dropped right after it returns.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let mut clients = Vec::new();
            for _ in 0..3 {
                clients.push(tokio::net::TcpStream::connect(address).await.unwrap());
            }
            clients
        };
        let wait = std::time::Duration::from_secs(10);
        let (outcome, _clients) =
            tokio::time::timeout(wait, async { tokio::join!(serving, connect) })
                .await
                .unwrap();
        assert_eq!(outcome.unwrap_err().to_string(), "deliberate");
        assert_eq!(served.load(Ordering::SeqCst), 3);
    }

    /// Never fewer than one shard, never more than the work asks for.
    #[test]
    fn shard_count_is_bounded_by_the_work_and_at_least_one() {
        assert_eq!(Shards::start(0).unwrap().len(), 1);
        assert_eq!(Shards::for_work(1).unwrap().len(), 1);
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(Shards::for_work(1024).unwrap().len(), cores.min(1024));
    }
}
