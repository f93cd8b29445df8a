//! `api` serves the HTTP API; `api migrate` applies the database migrations and exits
//! (Fly's release_command runs it before each deploy); `api healthcheck` exits 0 when the
//! server running next to it answers `/health` (the container's HEALTHCHECK).

use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;

use api::config::Config;
use api::http::{self, AppState};
use api::metrics::OnScrape;
#[cfg(not(feature = "postgres"))]
use api::repository::memory::MemoryPostRepository;
#[cfg(feature = "postgres")]
use api::repository::postgres::{self, PgPostRepository};
use api::{healthcheck, metrics, server, telemetry};

enum Command {
    Serve,
    Healthcheck,
    #[cfg(feature = "postgres")]
    Migrate,
}

const USAGE: &str = if cfg!(feature = "postgres") {
    "usage: api [serve | migrate | healthcheck]"
} else {
    "usage: api [serve | healthcheck]"
};

#[tokio::main]
async fn main() -> ExitCode {
    let command = match parse_command(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("configuration error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match command {
        Command::Serve => serve(config).await,
        #[cfg(feature = "postgres")]
        Command::Migrate => migrate(config).await,
        // No logging set-up: the only output is a line on stderr when the check fails.
        Command::Healthcheck => return healthcheck(config).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "exiting after an error");
            ExitCode::FAILURE
        }
    }
}

fn parse_command(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let command = match args.next().as_deref() {
        None | Some("serve") => Command::Serve,
        Some("healthcheck") => Command::Healthcheck,
        #[cfg(feature = "postgres")]
        Some("migrate") => Command::Migrate,
        Some(other) => return Err(format!("unknown command {other:?}")),
    };
    match args.next() {
        None => Ok(command),
        Some(extra) => Err(format!("unexpected argument {extra:?}")),
    }
}

async fn serve(config: Config) -> Result<(), Box<dyn Error>> {
    telemetry::init(&config.log_filter);
    if config.http.write_token.is_none() {
        tracing::warn!("API_WRITE_TOKEN is not set: every write is refused with 401");
    }
    let recorder = metrics::install()?;
    let (state, on_scrape) = app_state(&config)?;
    metrics::serve(
        config.metrics_listen,
        recorder,
        on_scrape,
        &config.connections,
    )
    .await?;
    let app = http::router(state, &config.http);
    server::serve(config.listen, app, &config.connections).await?;
    Ok(())
}

async fn healthcheck(config: Config) -> ExitCode {
    match healthcheck::check(config.listen).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// The handlers' state, and what the metrics server reads before each scrape (pool usage).
#[cfg(feature = "postgres")]
fn app_state(config: &Config) -> Result<(AppState, Vec<OnScrape>), Box<dyn Error>> {
    let primary = postgres::connect_lazy(&config.database)?;
    #[cfg(feature = "multi-region")]
    if let Some(replica) = &config.read_replica {
        let replica = postgres::connect_lazy(replica)?;
        let ttl = config.idempotency_key_ttl;
        let fresh = Arc::new(PgPostRepository::new(primary.clone()).with_idempotency_key_ttl(ttl));
        let reads = Arc::new(
            PgPostRepository::with_read_replica(primary, replica).with_idempotency_key_ttl(ttl),
        );
        let state = AppState::new(reads.clone(), &config.http).with_primary_reads(fresh);
        return Ok((state, vec![Arc::new(move || reads.record_pool_usage())]));
    }
    let repository = Arc::new(
        PgPostRepository::new(primary).with_idempotency_key_ttl(config.idempotency_key_ttl),
    );
    let state = AppState::new(repository.clone(), &config.http);
    Ok((
        state,
        vec![Arc::new(move || repository.record_pool_usage())],
    ))
}

#[cfg(not(feature = "postgres"))]
fn app_state(config: &Config) -> Result<(AppState, Vec<OnScrape>), Box<dyn Error>> {
    tracing::info!("posts are kept in memory: lost on restart, not shared between instances");
    let repository = Arc::new(
        MemoryPostRepository::seeded().with_idempotency_key_ttl(config.idempotency_key_ttl),
    );
    Ok((AppState::new(repository, &config.http), Vec::new()))
}

#[cfg(feature = "postgres")]
async fn migrate(config: Config) -> Result<(), Box<dyn Error>> {
    telemetry::init(&config.log_filter);
    let pool = postgres::connect_lazy(&config.database)?;
    postgres::migrate(&pool).await?;
    let applied = postgres::MIGRATOR.iter().count();
    tracing::info!(migrations = applied, "database schema is up to date");
    pool.close().await;
    Ok(())
}
