//! Binding, serving and stopping without an error for anyone already connected.
//!
//! On SIGTERM or SIGINT the listener closes at once; requests that still arrive on open
//! keep-alive connections (Fly's proxy keeps some) are answered for up to `DRAIN_WINDOW`, each
//! with `Connection: close` so the client moves to another Machine. Then in-flight requests
//! finish, and the whole shutdown is bounded by `SHUTDOWN_TIMEOUT`, well inside fly.toml's
//! kill_timeout.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How long open connections are still served after the listener closes.
pub const DRAIN_WINDOW: Duration = Duration::from_secs(5);
/// The hard stop after the signal (fly.toml's kill_timeout is 30 s).
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(15);

/// The client's socket address, as `ConnectInfo<PeerAddr>` (the rate limit's key off Fly).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

pub async fn serve(listen: SocketAddr, app: Router) -> io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    let (draining_tx, draining) = watch::channel(false);
    let open = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicBool::new(false));
    let listener = DrainingListener {
        listener: Some(listener),
        draining: draining.clone(),
        open: open.clone(),
        closed: closed.clone(),
    };

    // Only once the port is closed: a client told to reconnect then finds another Machine.
    let app = app.layer(axum::middleware::map_response(move |response| {
        close_when_draining(closed.load(Ordering::Acquire), response)
    }));
    let connections_gone = drained(draining, open);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<PeerAddr>(),
    )
    .with_graceful_shutdown(connections_gone);

    let signalled = async {
        shutdown_signal().await;
        let _ = draining_tx.send(true);
        tokio::time::sleep(SHUTDOWN_TIMEOUT).await;
    };
    tokio::select! {
        result = server => result?,
        () = signalled => {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "shutdown took too long"));
        }
    }
    tracing::info!("stopped");
    Ok(())
}

async fn close_when_draining(closed: bool, mut response: Response) -> Response {
    if closed {
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Resolves once draining started and either every connection has gone or the window is over;
/// axum then closes what is idle and waits for requests in flight.
async fn drained(mut draining: watch::Receiver<bool>, open: Arc<AtomicUsize>) {
    if draining.wait_for(|draining| *draining).await.is_err() {
        std::future::pending::<()>().await;
    }
    let started = tokio::time::Instant::now();
    while open.load(Ordering::Acquire) > 0 && started.elapsed() < DRAIN_WINDOW {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tracing::info!(elapsed = ?started.elapsed(), "drained: closing the remaining connections");
}

/// A TCP listener that stops accepting (and closes its socket) once draining starts, and counts
/// the connections it handed out that are still open.
struct DrainingListener {
    listener: Option<TcpListener>,
    draining: watch::Receiver<bool>,
    open: Arc<AtomicUsize>,
    closed: Arc<AtomicBool>,
}

impl Listener for DrainingListener {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        loop {
            let Some(listener) = self.listener.as_ref() else {
                return std::future::pending().await;
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = self.draining.wait_for(|draining| *draining) => {
                    self.listener = None; // the port is released: new connections are refused
                    self.closed.store(true, Ordering::Release);
                    continue;
                }
            };
            match accepted {
                Ok((stream, address)) => return (Counted::new(stream, &self.open), address),
                // Out of file descriptors and the like: wait a moment, keep serving.
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "listener closed"))?
            .local_addr()
    }
}

impl Connected<IncomingStream<'_, DrainingListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, DrainingListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// A connection that keeps the listener's count of open connections up to date.
struct Counted {
    stream: TcpStream,
    open: Arc<AtomicUsize>,
}

impl Counted {
    fn new(stream: TcpStream, open: &Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::AcqRel);
        Self {
            stream,
            open: open.clone(),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, draining"),
        () = terminate => tracing::info!("SIGTERM received, draining"),
    }
}
