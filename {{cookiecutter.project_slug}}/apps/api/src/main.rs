//! `api` serves the HTTP API; `api migrate` applies the database migrations and exits
//! (Fly's release_command runs it before each deploy); `api healthcheck` exits 0 when the
//! server running next to it answers `/health` (the container's HEALTHCHECK).

use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;

use api::config::{self, Config, ParseError, Settings};
use api::http::{self, AppState, health};
use api::metrics::OnScrape;
#[cfg(not(feature = "postgres"))]
use api::repository::memory::MemoryPostRepository;
#[cfg(feature = "postgres")]
use api::repository::postgres::{self, PgPostRepository};
use api::{metrics, server, telemetry};
use clap::{Parser, Subcommand};

/// The HTTP API; every variable it reads is listed below with its default.
#[derive(Parser)]
#[command(name = "api")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (what `api` alone does)
    Serve,
    /// Apply the database migrations and exit (Fly's release_command)
    #[cfg(feature = "postgres")]
    Migrate,
    /// Exit 0 when the server running next to it answers /health (the image's HEALTHCHECK)
    Healthcheck,
}

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = config::parse::<Cli>(std::env::args_os(), |name| std::env::var(name).ok());
    let (command, config) = match parsed.map(|cli| (cli.command, Config::try_from(cli.settings))) {
        Ok((command, Ok(config))) => (command.unwrap_or(Command::Serve), config),
        Err(ParseError::Usage(error)) => error.exit(),
        Ok((_, Err(error))) | Err(ParseError::Config(error)) => {
            eprintln!("configuration error: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The mail settings matter only to the server: `migrate` runs without them.
    #[cfg(feature = "accounts")]
    if let (Command::Serve, Err(error)) = (&command, &config.accounts) {
        eprintln!("configuration error: {error}");
        return ExitCode::FAILURE;
    }
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
    match health::check(config.listen).await {
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
        #[cfg(feature = "accounts")]
        let accounts_pools = (primary.clone(), replica.clone());
        let ttl = config.idempotency_key_ttl;
        let fresh = Arc::new(PgPostRepository::new(primary.clone()).with_idempotency_key_ttl(ttl));
        let reads = Arc::new(
            PgPostRepository::with_read_replica(primary, replica).with_idempotency_key_ttl(ttl),
        );
        let state = AppState::new(reads.clone(), &config.http).with_primary_reads(fresh);
        #[cfg(feature = "accounts")]
        let state = state.with_accounts(accounts(config, accounts_pools.0, accounts_pools.1)?);
        return Ok((state, vec![Arc::new(move || reads.record_pool_usage())]));
    }
    #[cfg(feature = "accounts")]
    let accounts = accounts(config, primary.clone(), primary.clone())?;
    let repository = Arc::new(
        PgPostRepository::new(primary).with_idempotency_key_ttl(config.idempotency_key_ttl),
    );
    let state = AppState::new(repository.clone(), &config.http);
    #[cfg(feature = "accounts")]
    let state = state.with_accounts(accounts);
    Ok((
        state,
        vec![Arc::new(move || repository.record_pool_usage())],
    ))
}

/// Users and sessions on the primary, session lookups for reads on `reads` (a replica in
/// multi-region setups); a session's last use is written only where writes are taken.
#[cfg(feature = "accounts")]
fn accounts(
    config: &Config,
    primary: sqlx::PgPool,
    reads: sqlx::PgPool,
) -> Result<Arc<api::accounts::Accounts>, Box<dyn Error>> {
    #[cfg(feature = "multi-region")]
    let primary_region = config.http.regions.replay_writes_to().is_none();
    #[cfg(not(feature = "multi-region"))]
    let primary_region = true;
    let settings = config.accounts.clone()?;
    if matches!(settings.mail, config::MailConfig::DevLog) {
        tracing::warn!(
            "MAIL_DEV_LOG=1: no mail is sent, links are printed here (development only)"
        );
    }
    let accounts = api::accounts::Accounts::new(primary, reads, primary_region, settings)?;
    accounts.spawn_sweeper();
    Ok(accounts)
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
