//! Binding, serving and stopping without an error for anyone already connected.
//!
//! Each connection is served by hyper's HTTP/1.1 server with three bounds, so idle or slow
//! clients cannot hold the process's file descriptors (`axum::serve` has none of them):
//! - a request head must arrive within `HEADER_READ_TIMEOUT_SECS` of the connection opening or
//!   of the previous response: this also closes a connection that never sends a byte and an
//!   idle keep-alive connection (hyper 1.12 starts this timer before the first byte);
//! - a connection on which no byte moves either way for `IDLE_TIMEOUT_SECS` is closed (a
//!   stalled upload, a client that stops reading its response);
//! - at most `MAX_CONNECTIONS` are open at once (fewer when the process's file-descriptor limit
//!   is lower); past that new connections wait in the kernel's queue until one closes.
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tower::Layer;

use crate::config::ConnectionLimits;

/// How long open connections are still served after the listener closes.
pub const DRAIN_WINDOW: Duration = Duration::from_secs(5);
/// The hard stop after the signal (fly.toml's kill_timeout is 30 s).
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(15);
/// The largest request head (request line and headers); larger ones get 431.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
/// File descriptors kept free for everything but client connections: the database pool, the
/// metrics listener and its connections, logs, the runtime's own.
const RESERVED_FDS: usize = 64;
/// A failed accept (out of file descriptors) is logged at most this often, not every retry.
const ACCEPT_ERROR_LOG_EVERY: Duration = Duration::from_secs(10);

/// The client's socket address, as `ConnectInfo<PeerAddr>` (the rate limit's key off Fly).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

pub async fn serve(listen: SocketAddr, app: Router, limits: &ConnectionLimits) -> io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let slots = limits
        .max_connections
        .min(fd_budget().unwrap_or(usize::MAX));
    tracing::info!(address = %listener.local_addr()?, max_connections = slots, "listening");

    // Only once the port is closed: a client told to reconnect then finds another Machine.
    let closed = Arc::new(AtomicBool::new(false));
    let app = app.layer(axum::middleware::map_response({
        let closed = closed.clone();
        move |response| close_when_draining(closed.load(Ordering::Acquire), response)
    }));
    let connections = Connections::new(limits, slots);
    connections
        .accept_until(&listener, app, shutdown_signal())
        .await;
    drop(listener); // the port is released: new connections are refused
    closed.store(true, Ordering::Release);

    let stopped = async {
        connections.drain().await;
        connections.graceful.shutdown().await;
    };
    tokio::time::timeout(SHUTDOWN_TIMEOUT, stopped)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "shutdown took too long"))?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `app` on `listener` in the background with the same bounds, for the life of the
/// process (the metrics server: no drain, Prometheus simply retries).
pub fn spawn(listener: TcpListener, app: Router, limits: &ConnectionLimits) {
    let connections = Connections::new(limits, limits.max_connections);
    tokio::spawn(async move {
        connections
            .accept_until(&listener, app, std::future::pending())
            .await;
    });
}

/// How many connections the process's file-descriptor limit leaves room for: the soft
/// `RLIMIT_NOFILE` (read from /proc, so Linux only; `None` elsewhere) minus `RESERVED_FDS`.
fn fd_budget() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let soft = line.split_whitespace().nth(3)?.parse::<usize>().ok()?;
    Some(soft.saturating_sub(RESERVED_FDS).max(1))
}

async fn close_when_draining(closed: bool, mut response: Response) -> Response {
    if closed {
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The open connections of one listener: their slots, timeouts and graceful shutdown.
struct Connections {
    http: http1::Builder,
    idle_timeout: Duration,
    slots: Arc<Semaphore>,
    size: usize,
    graceful: GracefulShutdown,
}

impl Connections {
    fn new(limits: &ConnectionLimits, size: usize) -> Self {
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_header_size(MAX_HEAD_BYTES);
        Self {
            http,
            idle_timeout: limits.idle_timeout,
            slots: Arc::new(Semaphore::new(size)),
            size,
            graceful: GracefulShutdown::new(),
        }
    }

    fn open(&self) -> usize {
        self.size - self.slots.available_permits()
    }

    /// Accepts and serves connections until `stop` resolves.
    async fn accept_until(
        &self,
        listener: &TcpListener,
        app: Router,
        stop: impl Future<Output = ()>,
    ) {
        let mut stop = std::pin::pin!(stop);
        let mut last_logged: Option<Instant> = None;
        let mut failed_since_logged = 0_u64;
        loop {
            // A free slot first: at the cap, connections wait in the kernel's accept queue.
            let slot = tokio::select! {
                slot = self.slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                () = &mut stop => return,
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut stop => return,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a moment, keep serving, log rarely.
                Err(error) => {
                    failed_since_logged += 1;
                    if last_logged.is_none_or(|at| at.elapsed() >= ACCEPT_ERROR_LOG_EVERY) {
                        tracing::warn!(%error, failures = failed_since_logged, "accept failed");
                        last_logged = Some(Instant::now());
                        failed_since_logged = 0;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let service = axum::Extension(ConnectInfo(PeerAddr(peer))).layer(app.clone());
            let io = TokioIo::new(IdleTimeout::new(stream, self.idle_timeout));
            let connection = self
                .http
                .serve_connection(io, TowerToHyperService::new(service));
            let connection = self.graceful.watch(connection);
            tokio::spawn(async move {
                // Timeouts, resets and malformed requests end here: the client's doing.
                if let Err(error) = connection.await {
                    tracing::debug!(%error, %peer, "connection closed with an error");
                }
                drop(slot);
            });
        }
    }

    /// Resolves once every connection has gone or `DRAIN_WINDOW` is over; the graceful
    /// shutdown then closes what is idle and waits for requests in flight.
    async fn drain(&self) {
        let started = Instant::now();
        while self.open() > 0 && started.elapsed() < DRAIN_WINDOW {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        tracing::info!(elapsed = ?started.elapsed(), "drained: closing the remaining connections");
    }
}

/// A TCP stream whose reads and writes fail with `TimedOut` once no byte has moved either way
/// for `idle`. Only a pending read or write waits on the deadline, so a handler that takes its
/// time (bounded by `REQUEST_TIMEOUT_SECS`, which config keeps shorter) is not cut off.
struct IdleTimeout {
    stream: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl IdleTimeout {
    fn new(stream: TcpStream, idle: Duration) -> Self {
        Self {
            stream,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    /// Pushes the deadline back after progress; fails a pending operation past it.
    fn check<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(result) => {
                let next = Instant::now() + self.idle;
                self.deadline.as_mut().reset(next);
                Poll::Ready(result)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle for too long",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncRead for IdleTimeout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        this.check(cx, polled)
    }
}

impl AsyncWrite for IdleTimeout {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.check(cx, polled)
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
