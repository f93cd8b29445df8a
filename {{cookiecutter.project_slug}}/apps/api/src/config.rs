//! The whole configuration, read from the environment once at start and validated.
//!
//! Each variable is declared once, in [`Settings`]: its name, default and help, which
//! `api --help` lists. A blank value counts as unset; a bad one stops the API with one line
//! naming the variable, without its value when the variable holds a secret.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `HOST` | `0.0.0.0` | IP address to listen on (`::` for IPv6, e.g. Fly's private network) |
//! | `PORT` | `8080` | TCP port |
//! | `METRICS_PORT` | `9092` | port of the Prometheus `/metrics` server, on `HOST` too; never the API's port |
//! | `CORS_ALLOWED_ORIGINS` | empty | comma-separated origins allowed to call the API from a browser, or `*` |
//! | `REQUEST_TIMEOUT_SECS` | `10` | a request still running after this is answered with 408 |
//! | `REQUEST_BODY_LIMIT_BYTES` | `65536` | larger bodies are refused with 413 |
//! | `API_WRITE_TOKEN` | unset | bearer token every write needs (32+ characters); unset refuses all writes |
//! | `RATE_LIMIT_PER_SECOND` | `100` | requests per second one client may make, sustained |
//! | `RATE_LIMIT_BURST` | `200` | requests one client may make at once before the per-second rate applies |
//! | `MAX_CONCURRENT_REQUESTS` | `128` | requests served at once by this process, all routes together; more are refused with 503 |
//! | `MAX_CONNECTIONS` | `1024` | client connections open at once (fewer if the file-descriptor limit is lower); more wait to be accepted |
//! | `HEADER_READ_TIMEOUT_SECS` | `10` | a connection must send a whole request head this soon after it opens or after its last response (so also how long an idle keep-alive connection stays open), else it is closed |
//! | `IDLE_TIMEOUT_SECS` | `30` | a connection on which no byte moves either way this long is closed; longer than `REQUEST_TIMEOUT_SECS` |
//! | `IDEMPOTENCY_KEY_TTL_SECS` | `86400` | how long an `Idempotency-Key` stays bound to the post it created; later the key is free again |
//! | `FLY_APP_NAME` | set by Fly | on Fly, a client is the `Fly-Client-IP` its proxy sets, not the socket peer |
//! | `RUST_LOG` | `info` | log filter (`tracing_subscriber::EnvFilter` syntax) |
//! | `DATABASE_URL` | required | `postgres://user:password@host:5432/database` (feature `postgres`) |
//! | `DATABASE_MAX_CONNECTIONS` | `5` | pool size per instance (feature `postgres`) |
//! | `DATABASE_ACQUIRE_TIMEOUT_SECS` | `3` | how long a request waits for a connection (feature `postgres`) |
//! | `DATABASE_READ_URL` | unset | a read replica (the nearest one on Fly); unset reads from `DATABASE_URL` (feature `multi-region`) |
//! | `FLY_REGION` | set by Fly | the region this Machine runs in (feature `multi-region`) |
//! | `PRIMARY_REGION` | set by fly.toml | the region of the writable database: writes elsewhere are replayed there (feature `multi-region`) |
//! | `READ_YOUR_WRITES_SECS` | `5` | after a write, the client's reads use `DATABASE_URL` this long (feature `multi-region`) |
//! | `PUBLIC_URL` | required | the web app's public origin, e.g. `https://my-app.fly.dev`: links in mails point there (feature `accounts`) |
//! | `SMTP_URL` | required | the mail server, e.g. `smtps://user:password@smtp.example.com` or `smtp://127.0.0.1:1025` (feature `accounts`) |
//! | `MAIL_FROM` | required with `SMTP_URL` | the sender of account mails, e.g. `My App <no-reply@example.com>` (feature `accounts`) |
//! | `MAIL_DEV_LOG` | `false` | `1`: send no mail (even with `SMTP_URL` set), print each mail and its links to the terminal; for development only (feature `accounts`) |
//! | `SESSION_IDLE_TIMEOUT_SECS` | `604800` | a session unused this long (7 days) is over (feature `accounts`) |
//! | `SESSION_MAX_AGE_SECS` | `2592000` | a session is over this long (30 days) after sign-in, used or not (feature `accounts`) |
//! | `PASSWORD_HASHING_CONCURRENCY` | `2` | Argon2 hashes computed at once (19 MiB each); 4 times as many wait, more are refused with 503 (feature `accounts`) |

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use axum::http::HeaderValue;
use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use tracing_subscriber::EnvFilter;

/// Every variable the API reads, as `api --help` lists it: the field's name in capitals is the
/// variable (a flag of the same name, `--rate-limit-burst`, overrides it for one run).
#[derive(Debug, Clone, Parser)]
#[command(name = "api")]
pub struct Settings {
    /// IP address to listen on (`::` for IPv6, e.g. Fly's private network)
    #[arg(long, env, default_value = "0.0.0.0", value_parser = parsed::<IpAddr>("an IP address such as 0.0.0.0 or ::"))]
    pub host: IpAddr,
    /// TCP port
    #[arg(long, env, default_value_t = 8080, value_parser = positive::<u16>(PORT_NUMBER))]
    pub port: u16,
    /// Port of the Prometheus `/metrics` server, on HOST too; never the API's port
    #[arg(long, env, default_value_t = 9092, value_parser = positive::<u16>(METRICS_PORT_NUMBER))]
    pub metrics_port: u16,
    /// Comma-separated origins allowed to call the API from a browser, or `*`; empty allows none
    #[arg(long, env, default_value = "", hide_default_value = true, value_parser = cors_origins)]
    pub cors_allowed_origins: CorsOrigins,
    /// A request still running after this many seconds is answered with 408
    #[arg(long, env, default_value_t = 10, value_parser = positive::<u64>(SECONDS))]
    pub request_timeout_secs: u64,
    /// Larger bodies are refused with 413
    #[arg(long, env, default_value_t = 64 * 1024, value_parser = positive::<usize>("a positive number of bytes"))]
    pub request_body_limit_bytes: usize,
    /// Bearer token every write needs (32+ characters); unset refuses all writes
    #[arg(long, env, hide_env_values = true, value_parser = write_token)]
    pub api_write_token: Option<WriteToken>,
    /// Requests per second one client may make, sustained
    #[arg(long, env, default_value_t = 100, value_parser = positive::<u32>(REQUESTS))]
    pub rate_limit_per_second: u32,
    /// Requests one client may make at once before the per-second rate applies
    #[arg(long, env, default_value_t = 200, value_parser = positive::<u32>(REQUESTS))]
    pub rate_limit_burst: u32,
    /// Requests served at once by this process, all routes together; more are refused with 503
    #[arg(long, env, default_value_t = 128, value_parser = positive::<usize>(REQUESTS))]
    pub max_concurrent_requests: usize,
    /// Client connections open at once (fewer if the file-descriptor limit is lower); more wait
    #[arg(long, env, default_value_t = 1024, value_parser = positive::<usize>(CONNECTIONS))]
    pub max_connections: usize,
    /// Seconds a connection has to send a whole request head after it opens or after its last
    /// response (so also how long an idle keep-alive connection stays open)
    #[arg(long, env, default_value_t = 10, value_parser = positive::<u64>(SECONDS))]
    pub header_read_timeout_secs: u64,
    /// A connection on which no byte moves either way this many seconds is closed; more than
    /// REQUEST_TIMEOUT_SECS
    #[arg(long, env, default_value_t = 30, value_parser = positive::<u64>(SECONDS))]
    pub idle_timeout_secs: u64,
    /// Seconds an `Idempotency-Key` stays bound to the post it created; later the key is free
    #[arg(long, env, default_value_t = IDEMPOTENCY_KEY_TTL_SECS, value_parser = positive::<u64>(SECONDS))]
    pub idempotency_key_ttl_secs: u64,
    /// Set by Fly: a client is then the `Fly-Client-IP` its proxy sets, not the socket peer
    #[arg(long, env)]
    pub fly_app_name: Option<String>,
    /// Log filter (`tracing_subscriber::EnvFilter` syntax)
    #[arg(long, env, default_value = "info", value_parser = log_filter)]
    pub rust_log: String,
    /// `postgres://user:password@host:5432/database` (required)
    #[cfg(feature = "postgres")]
    #[arg(long, env, hide_env_values = true, value_parser = postgres_url(DATABASE_URL))]
    pub database_url: Option<String>,
    /// Pool size per instance
    #[cfg(feature = "postgres")]
    #[arg(long, env, default_value_t = 5, value_parser = positive::<u32>(CONNECTIONS))]
    pub database_max_connections: u32,
    /// Seconds a request waits for a database connection
    #[cfg(feature = "postgres")]
    #[arg(long, env, default_value_t = 3, value_parser = positive::<u64>(SECONDS))]
    pub database_acquire_timeout_secs: u64,
    /// A read replica (the nearest one on Fly); unset reads from DATABASE_URL
    #[cfg(feature = "multi-region")]
    #[arg(long, env, hide_env_values = true, value_parser = postgres_url("a URL such as postgres://user:password@replica:5433/database"))]
    pub database_read_url: Option<String>,
    /// Set by Fly: the region this Machine runs in
    #[cfg(feature = "multi-region")]
    #[arg(long, env, value_parser = region_code)]
    pub fly_region: Option<String>,
    /// Set by fly.toml: the region of the writable database, where writes elsewhere are replayed
    #[cfg(feature = "multi-region")]
    #[arg(long, env, value_parser = region_code)]
    pub primary_region: Option<String>,
    /// After a write, the client's reads use DATABASE_URL this many seconds
    #[cfg(feature = "multi-region")]
    #[arg(long, env, default_value_t = 5, value_parser = positive::<u64>(SECONDS))]
    pub read_your_writes_secs: u64,
    /// The web app's public origin, e.g. https://my-app.fly.dev: links in mails point there (required)
    #[cfg(feature = "accounts")]
    #[arg(long, env, value_parser = public_url)]
    pub public_url: Option<String>,
    /// The mail server, e.g. smtps://user:password@smtp.example.com or smtp://127.0.0.1:1025 (required
    /// unless MAIL_DEV_LOG=1)
    #[cfg(feature = "accounts")]
    #[arg(long, env, hide_env_values = true, value_parser = smtp_url)]
    pub smtp_url: Option<String>,
    /// The sender of account mails, e.g. `My App <no-reply@example.com>` (required with SMTP_URL)
    #[cfg(feature = "accounts")]
    #[arg(long, env, value_parser = mailbox)]
    pub mail_from: Option<String>,
    /// 1: send no mail (even with SMTP_URL set), print each mail and its links (development only)
    #[cfg(feature = "accounts")]
    #[arg(long, env, default_value_t = false, action = clap::ArgAction::Set, value_parser = switch)]
    pub mail_dev_log: bool,
    /// A session unused this many seconds is over
    #[cfg(feature = "accounts")]
    #[arg(long, env, default_value_t = 7 * 24 * 60 * 60, value_parser = positive::<u64>(SECONDS))]
    pub session_idle_timeout_secs: u64,
    /// A session is over this many seconds after sign-in, used or not
    #[cfg(feature = "accounts")]
    #[arg(long, env, default_value_t = 30 * 24 * 60 * 60, value_parser = positive::<u64>(SECONDS))]
    pub session_max_age_secs: u64,
    /// Argon2 hashes computed at once (19 MiB each); 4 times as many wait, more are refused with 503
    #[cfg(feature = "accounts")]
    #[arg(long, env, default_value_t = 2, value_parser = positive::<usize>("a positive number of hashes"))]
    pub password_hashing_concurrency: usize,
}

const PORT_NUMBER: &str = "a port number from 1 to 65535";
const METRICS_PORT_NUMBER: &str = "a port number from 1 to 65535, other than PORT";
const SECONDS: &str = "a positive whole number of seconds";
const REQUESTS: &str = "a positive number of requests";
const CONNECTIONS: &str = "a positive number of connections";
#[cfg(feature = "postgres")]
const DATABASE_URL: &str = "a URL such as postgres://user:password@host:5432/database";

/// Shortest `API_WRITE_TOKEN` accepted: `openssl rand -hex 32` gives 64 characters.
pub const WRITE_TOKEN_MIN_CHARS: usize = 32;

/// Stripe keeps idempotency keys 24 hours: longer than any client's retries.
const IDEMPOTENCY_KEY_TTL_SECS: u64 = 24 * 60 * 60;
pub const DEFAULT_IDEMPOTENCY_KEY_TTL: Duration = Duration::from_secs(IDEMPOTENCY_KEY_TTL_SECS);

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Where Prometheus scrapes `/metrics`: the same host, a port of its own.
    pub metrics_listen: SocketAddr,
    pub http: HttpConfig,
    /// Bounds on client connections, for the API's port and the metrics port.
    pub connections: ConnectionLimits,
    /// How long a create's `Idempotency-Key` is remembered.
    pub idempotency_key_ttl: Duration,
    pub log_filter: String,
    #[cfg(feature = "postgres")]
    pub database: DatabaseConfig,
    /// A read replica for reads; `None` reads from `database`.
    #[cfg(feature = "multi-region")]
    pub read_replica: Option<DatabaseConfig>,
    /// Checked only by the server: `migrate` and `healthcheck` need no mail settings.
    #[cfg(feature = "accounts")]
    pub accounts: Result<AccountsConfig, ConfigError>,
}

/// Where mail goes, how long sessions last, how much hashing runs at once (feature `accounts`).
#[cfg(feature = "accounts")]
#[derive(Debug, Clone)]
pub struct AccountsConfig {
    /// The web app's origin, without a trailing slash.
    pub public_url: String,
    pub mail: MailConfig,
    pub session_idle_timeout: Duration,
    pub session_max_age: Duration,
    pub hashing_concurrency: usize,
}

#[cfg(feature = "accounts")]
#[derive(Clone)]
pub enum MailConfig {
    Smtp {
        url: String,
        from: String,
    },
    /// MAIL_DEV_LOG=1: links printed to the terminal, nothing sent.
    DevLog,
}

// The SMTP URL may hold the mail account's password.
#[cfg(feature = "accounts")]
impl fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Smtp { from, .. } => f
                .debug_struct("Smtp")
                .field("url", &"<redacted>")
                .field("from", from)
                .finish(),
            Self::DevLog => f.write_str("DevLog"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub cors_allowed_origins: CorsOrigins,
    pub request_timeout: Duration,
    pub request_body_limit: usize,
    pub write_token: Option<WriteToken>,
    pub limits: Limits,
    /// Behind Fly's proxy the client address is its `Fly-Client-IP` header.
    pub on_fly: bool,
    #[cfg(feature = "multi-region")]
    pub regions: Regions,
}

/// Where this Machine runs and where writes must run (feature `multi-region`).
#[cfg(feature = "multi-region")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions {
    /// `FLY_REGION`; `None` off Fly, where every write is taken here.
    pub current: Option<String>,
    /// `PRIMARY_REGION`: where the writable database is.
    pub primary: Option<String>,
    /// How long after a write the same client's reads go to the primary database.
    pub read_your_writes: Duration,
}

#[cfg(feature = "multi-region")]
impl Regions {
    /// The region a write must be replayed to, when it is not this one.
    pub fn replay_writes_to(&self) -> Option<&str> {
        match (&self.current, &self.primary) {
            (Some(current), Some(primary)) if current != primary => Some(primary),
            _ => None,
        }
    }
}

/// The credential writes need. Never printed: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct WriteToken(pub String);

impl fmt::Debug for WriteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteToken(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub per_client_per_second: u32,
    pub per_client_burst: u32,
    pub max_concurrent_requests: usize,
}

/// What one client connection may hold: a slot and the time between bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<HeaderValue>),
}

#[cfg(feature = "postgres")]
#[derive(Clone)]
pub struct DatabaseConfig {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

// The URL holds the password: keep it out of logs and panics.
#[cfg(feature = "postgres")]
impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &"<redacted>")
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish()
    }
}

/// Every default of [`Settings`], for tests and code that build a part of the configuration.
impl Default for HttpConfig {
    fn default() -> Self {
        Settings::defaults().http()
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Settings::defaults().connections()
    }
}

/// A bad or missing variable; its `Display` is the one line printed before exiting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}{}: expected {expected}", .value.as_ref().map(|value| format!("={value:?}")).unwrap_or_default())]
pub struct ConfigError {
    pub variable: String,
    /// The offending value, or `None` when it is missing or must not be printed.
    pub value: Option<String>,
    pub expected: String,
}

/// Why the command line and environment give no command to run.
#[derive(Debug)]
pub enum ParseError {
    /// A variable (or its flag) is bad: print the line, exit 1.
    Config(ConfigError),
    /// `--help`, `--version` or a wrong command: clap prints it and picks the exit status.
    Usage(clap::Error),
}

/// What a value parser says a variable should be; clap keeps it as the error's source.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Expected(String);

/// Parses `args` as `P` declares them, each declared variable read through `lookup` (a blank
/// value is unset) and given as its flag before the command line's own, which win.
pub fn parse<P: Parser>(
    args: impl IntoIterator<Item = OsString>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<P, ParseError> {
    let mut declared = P::command().bin_name("api");
    declared.build(); // finishes each argument, as `config_error` reads them
    let mut args = args.into_iter();
    let program = args.next().unwrap_or_else(|| "api".into());
    let given: Vec<OsString> = args.collect();
    let from_env = declared.get_arguments().filter_map(|arg| {
        let value = lookup(arg.get_env()?.to_str()?).filter(|value| !value.trim().is_empty())?;
        Some(OsString::from(format!("--{}={value}", arg.get_long()?)))
    });
    // `--help` answers before any value is checked: it shows each variable's current value
    // (clap reads the process environment for that), a bad one too, a secret never.
    if !given.is_empty() {
        let asked = std::iter::once(program.clone()).chain(given.clone());
        if let Err(help) = declared.clone().try_get_matches_from(asked)
            && help.kind() == ErrorKind::DisplayHelp
        {
            return Err(ParseError::Usage(help));
        }
    }
    let parser = declared
        .clone()
        .args_override_self(true)
        .mut_args(|arg| arg.env(None::<&str>));
    let matches = parser
        .try_get_matches_from(std::iter::once(program).chain(from_env).chain(given))
        .map_err(|error| match config_error(&error, &declared) {
            Some(config) => ParseError::Config(config),
            None => ParseError::Usage(error),
        })?;
    P::from_arg_matches(&matches).map_err(ParseError::Usage)
}

/// clap's error for a bad value, as a line naming the variable, not the flag.
fn config_error(error: &clap::Error, declared: &clap::Command) -> Option<ConfigError> {
    let Some(ContextValue::String(flag)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    let arg = declared
        .get_arguments()
        .find(|arg| arg.to_string() == *flag)?;
    let value = match error.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) if !arg.is_hide_env_values_set() => Some(value.clone()),
        _ => None,
    };
    let expected = std::error::Error::source(error)?.downcast_ref::<Expected>()?;
    Some(ConfigError {
        variable: arg.get_env()?.to_string_lossy().into_owned(),
        value,
        expected: expected.0.clone(),
    })
}

impl Settings {
    fn defaults() -> Self {
        match parse(["api".into()], |_| None) {
            Ok(settings) => settings,
            Err(error) => unreachable!("the declared defaults are valid: {error:?}"),
        }
    }

    fn http(&self) -> HttpConfig {
        HttpConfig {
            cors_allowed_origins: self.cors_allowed_origins.clone(),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            request_body_limit: self.request_body_limit_bytes,
            write_token: self.api_write_token.clone(),
            limits: Limits {
                per_client_per_second: self.rate_limit_per_second,
                per_client_burst: self.rate_limit_burst,
                max_concurrent_requests: self.max_concurrent_requests,
            },
            on_fly: self.fly_app_name.is_some(),
            #[cfg(feature = "multi-region")]
            regions: Regions {
                current: self.fly_region.clone(),
                primary: self.primary_region.clone(),
                read_your_writes: Duration::from_secs(self.read_your_writes_secs),
            },
        }
    }

    #[cfg(feature = "accounts")]
    fn accounts(&self) -> Result<AccountsConfig, ConfigError> {
        let public_url = self
            .public_url
            .clone()
            .ok_or_else(|| invalid("PUBLIC_URL", PUBLIC_URL))?;
        // The explicit development switch wins, so `MAIL_DEV_LOG=1 cargo run` prints the mails
        // whatever .env says about a mail server.
        let mail = match (&self.smtp_url, self.mail_dev_log) {
            (_, true) => MailConfig::DevLog,
            (Some(url), false) => MailConfig::Smtp {
                url: url.clone(),
                from: self.mail_from.clone().ok_or_else(|| {
                    invalid(
                        "MAIL_FROM",
                        "the sender of account mails, e.g. no-reply@example.com",
                    )
                })?,
            },
            (None, false) => {
                return Err(invalid(
                    "SMTP_URL",
                    "a mail server URL such as smtps://user:password@smtp.example.com \
                     (MAIL_DEV_LOG=1 prints the links instead, for development)",
                ));
            }
        };
        Ok(AccountsConfig {
            public_url,
            mail,
            session_idle_timeout: Duration::from_secs(self.session_idle_timeout_secs),
            session_max_age: Duration::from_secs(self.session_max_age_secs),
            hashing_concurrency: self.password_hashing_concurrency,
        })
    }

    fn connections(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
        }
    }
}

impl TryFrom<Settings> for Config {
    type Error = ConfigError;

    /// What no single variable can check alone.
    fn try_from(settings: Settings) -> Result<Self, ConfigError> {
        // Also when METRICS_PORT is left at its default: the two listeners cannot share a port.
        if settings.metrics_port == settings.port {
            return Err(invalid("METRICS_PORT", METRICS_PORT_NUMBER));
        }
        // A handler sends nothing while it works: the idle timeout must not cut it off first.
        if settings.idle_timeout_secs <= settings.request_timeout_secs {
            return Err(invalid(
                "IDLE_TIMEOUT_SECS",
                "more seconds than REQUEST_TIMEOUT_SECS",
            ));
        }
        #[cfg(feature = "multi-region")]
        if settings.fly_region.is_some() && settings.primary_region.is_none() {
            return Err(invalid(
                "PRIMARY_REGION",
                "the region of the writable database, e.g. sjc (fly.toml's primary_region sets it)",
            ));
        }
        #[cfg(feature = "postgres")]
        let database = DatabaseConfig {
            url: settings
                .database_url
                .clone()
                .ok_or_else(|| invalid("DATABASE_URL", DATABASE_URL))?,
            max_connections: settings.database_max_connections,
            acquire_timeout: Duration::from_secs(settings.database_acquire_timeout_secs),
        };
        #[cfg(feature = "accounts")]
        let accounts = settings.accounts();
        Ok(Self {
            #[cfg(feature = "accounts")]
            accounts,
            listen: SocketAddr::new(settings.host, settings.port),
            metrics_listen: SocketAddr::new(settings.host, settings.metrics_port),
            http: settings.http(),
            connections: settings.connections(),
            idempotency_key_ttl: Duration::from_secs(settings.idempotency_key_ttl_secs),
            log_filter: settings.rust_log.clone(),
            // Pool settings as the primary's, another URL.
            #[cfg(feature = "multi-region")]
            read_replica: settings.database_read_url.map(|url| DatabaseConfig {
                url,
                ..database.clone()
            }),
            #[cfg(feature = "postgres")]
            database,
        })
    }
}

impl Config {
    /// Reads every variable through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match parse::<Settings>(["api".into()], lookup) {
            Ok(settings) => settings.try_into(),
            Err(ParseError::Config(error)) => Err(error),
            Err(ParseError::Usage(error)) => unreachable!("no command line given: {error}"),
        }
    }
}

/// A variable that is missing or clashes with another: no value to show.
fn invalid(variable: &str, expected: &str) -> ConfigError {
    ConfigError {
        variable: variable.to_owned(),
        value: None,
        expected: expected.to_owned(),
    }
}

// Value parsers: each `Err` says what the variable should be; `config_error` names it.

fn parsed<T: FromStr>(
    expected: &'static str,
) -> impl Fn(&str) -> Result<T, Expected> + Clone + Send + Sync + 'static {
    move |raw| {
        raw.trim()
            .parse()
            .map_err(|_| Expected(expected.to_owned()))
    }
}

fn positive<T: FromStr + PartialOrd + Default>(
    expected: &'static str,
) -> impl Fn(&str) -> Result<T, Expected> + Clone + Send + Sync + 'static {
    move |raw| {
        parsed::<T>(expected)(raw)
            .ok()
            .filter(|number| *number > T::default())
            .ok_or_else(|| Expected(expected.to_owned()))
    }
}

fn write_token(raw: &str) -> Result<WriteToken, Expected> {
    let token = raw.trim();
    if token.chars().count() < WRITE_TOKEN_MIN_CHARS {
        return Err(Expected(format!(
            "at least {WRITE_TOKEN_MIN_CHARS} characters, e.g. from `openssl rand -hex 32`"
        )));
    }
    Ok(WriteToken(token.to_owned()))
}

fn log_filter(raw: &str) -> Result<String, Expected> {
    match EnvFilter::try_new(raw) {
        Ok(_) => Ok(raw.to_owned()),
        Err(_) => Err(Expected(
            "a filter such as info or api=debug,info".to_owned(),
        )),
    }
}

#[cfg(feature = "postgres")]
fn postgres_url(
    expected: &'static str,
) -> impl Fn(&str) -> Result<String, Expected> + Clone + Send + Sync + 'static {
    move |url| match url.starts_with("postgres://") || url.starts_with("postgresql://") {
        true => Ok(url.to_owned()),
        false => Err(Expected(expected.to_owned())),
    }
}

#[cfg(feature = "accounts")]
const PUBLIC_URL: &str = "the web app's origin, such as https://my-app.fly.dev";

/// An `http(s)://host[:port]` origin; a trailing slash is dropped, so links join with one.
#[cfg(feature = "accounts")]
fn public_url(raw: &str) -> Result<String, Expected> {
    let url = raw.trim().trim_end_matches('/');
    match is_origin(url) {
        true => Ok(url.to_owned()),
        false => Err(Expected(PUBLIC_URL.to_owned())),
    }
}

#[cfg(feature = "accounts")]
fn smtp_url(raw: &str) -> Result<String, Expected> {
    let url = raw.trim();
    match url.starts_with("smtp://") || url.starts_with("smtps://") {
        true => Ok(url.to_owned()),
        false => Err(Expected(
            "a URL such as smtps://user:password@smtp.example.com or smtp://127.0.0.1:1025"
                .to_owned(),
        )),
    }
}

#[cfg(feature = "accounts")]
fn mailbox(raw: &str) -> Result<String, Expected> {
    raw.trim()
        .parse::<lettre::message::Mailbox>()
        .map(|_| raw.trim().to_owned())
        .map_err(|_| Expected("an address such as `My App <no-reply@example.com>`".to_owned()))
}

/// `1`/`true` or `0`/`false`, as people write switches in .env files.
#[cfg(feature = "accounts")]
fn switch(raw: &str) -> Result<bool, Expected> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(Expected("1 or 0".to_owned())),
    }
}

/// Three lowercase letters, as Fly names regions: the value goes into a `fly-replay` header.
#[cfg(feature = "multi-region")]
fn region_code(raw: &str) -> Result<String, Expected> {
    let code = raw.trim();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(code.to_owned())
    } else {
        Err(Expected("a Fly region code such as sjc".to_owned()))
    }
}

fn cors_origins(raw: &str) -> Result<CorsOrigins, Expected> {
    if raw.trim() == "*" {
        return Ok(CorsOrigins::Any);
    }
    raw.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            is_origin(origin)
                .then(|| HeaderValue::from_str(origin).ok())
                .flatten()
                .ok_or_else(|| {
                    Expected(
                        "* or comma-separated origins such as https://example.com,http://localhost:3000"
                            .to_owned(),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(CorsOrigins::List)
}

/// `scheme://host[:port]` with no path: the form browsers send in the Origin header.
fn is_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains(['/', '?', '#', ' '])
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if cfg!(feature = "postgres") {
            map.entry("DATABASE_URL".to_owned())
                .or_insert_with(|| "postgres://app:secret@localhost:5432/app".to_owned());
        }
        if cfg!(feature = "accounts") {
            map.entry("PUBLIC_URL".to_owned())
                .or_insert_with(|| "http://localhost:3000".to_owned());
            map.entry("MAIL_DEV_LOG".to_owned())
                .or_insert_with(|| "1".to_owned());
        }
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_listen_on_all_interfaces_port_8080() {
        let config = config(&[]).unwrap();
        assert_eq!(config.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(config.http.request_timeout, Duration::from_secs(10));
        assert_eq!(
            config.http.cors_allowed_origins,
            CorsOrigins::List(Vec::new())
        );
        assert_eq!(config.log_filter, "info");
    }

    #[test]
    fn metrics_have_their_own_port_on_the_same_host() {
        let default = config(&[("HOST", "127.0.0.1")]).unwrap();
        assert_eq!(default.metrics_listen, "127.0.0.1:9092".parse().unwrap());
        let chosen = config(&[("METRICS_PORT", "9100")]).unwrap();
        assert_eq!(chosen.metrics_listen.port(), 9100);
        let clash = config(&[("PORT", "9092")]).unwrap_err();
        assert_eq!(
            clash.to_string(),
            format!("invalid METRICS_PORT: expected {METRICS_PORT_NUMBER}")
        );
    }

    #[test]
    fn ipv6_host_and_port_are_read() {
        let config = config(&[("HOST", "::"), ("PORT", "9000")]).unwrap();
        assert_eq!(config.listen, "[::]:9000".parse().unwrap());
    }

    #[test]
    fn bad_values_are_one_line_errors_naming_the_variable() {
        for (name, value) in [
            ("PORT", "eighty"),
            ("PORT", "0"),
            ("PORT", "70000"),
            ("HOST", "localhost"),
            ("REQUEST_TIMEOUT_SECS", "0"),
            ("REQUEST_BODY_LIMIT_BYTES", "-1"),
            ("CORS_ALLOWED_ORIGINS", "example.com"),
            ("CORS_ALLOWED_ORIGINS", "https://example.com/path"),
            ("RUST_LOG", "info,[broken"),
            ("RATE_LIMIT_PER_SECOND", "0"),
            ("RATE_LIMIT_BURST", "many"),
            ("MAX_CONCURRENT_REQUESTS", "-5"),
            ("METRICS_PORT", "8080"),
            ("METRICS_PORT", "0"),
            ("MAX_CONNECTIONS", "0"),
            ("HEADER_READ_TIMEOUT_SECS", "soon"),
            ("IDLE_TIMEOUT_SECS", "5"),
            ("IDEMPOTENCY_KEY_TTL_SECS", "0"),
        ] {
            let error = config(&[(name, value)]).unwrap_err();
            assert_eq!(error.variable, name);
            let line = error.to_string();
            assert!(line.starts_with(&format!("invalid {name}")), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn a_blank_variable_is_unset_and_a_flag_wins_over_its_variable() {
        let blank = config(&[("PORT", " "), ("API_WRITE_TOKEN", ""), ("RUST_LOG", "")]).unwrap();
        assert_eq!(blank.listen.port(), 8080);
        assert_eq!(blank.http.write_token, None);
        assert_eq!(blank.log_filter, "info");
        let args = ["api", "--port", "9000"].map(OsString::from);
        let settings: Settings = parse(args, |name| (name == "PORT").then(|| "8000".to_owned()))
            .unwrap_or_else(|_| panic!("valid"));
        assert_eq!(settings.port, 9000);
    }

    #[test]
    fn cors_origins_are_a_trimmed_list_or_any() {
        let config = config(&[(
            "CORS_ALLOWED_ORIGINS",
            " https://a.example , http://localhost:3000 ",
        )])
        .unwrap();
        assert_eq!(
            config.http.cors_allowed_origins,
            CorsOrigins::List(vec![
                HeaderValue::from_static("https://a.example"),
                HeaderValue::from_static("http://localhost:3000"),
            ])
        );
        let any = super::cors_origins("*").unwrap();
        assert_eq!(any, CorsOrigins::Any);
    }

    #[test]
    fn write_token_is_optional_long_and_never_echoed() {
        assert_eq!(config(&[]).unwrap().http.write_token, None);
        let weak = config(&[("API_WRITE_TOKEN", "hunter2")]).unwrap_err();
        assert_eq!(weak.variable, "API_WRITE_TOKEN");
        assert!(!weak.to_string().contains("hunter2"));
        let strong = "s".repeat(WRITE_TOKEN_MIN_CHARS);
        let config = config(&[("API_WRITE_TOKEN", &strong)]).unwrap();
        assert_eq!(config.http.write_token, Some(WriteToken(strong.clone())));
        assert!(!format!("{config:?}").contains(&strong));
    }

    #[test]
    fn limits_and_fly_are_read() {
        let config = config(&[
            ("RATE_LIMIT_PER_SECOND", "5"),
            ("RATE_LIMIT_BURST", "7"),
            ("MAX_CONCURRENT_REQUESTS", "9"),
            ("FLY_APP_NAME", "my-api"),
        ])
        .unwrap();
        assert_eq!(
            config.http.limits,
            Limits {
                per_client_per_second: 5,
                per_client_burst: 7,
                max_concurrent_requests: 9
            }
        );
        assert!(config.http.on_fly);
    }

    #[test]
    fn connection_limits_and_key_ttl_are_read() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.connections, ConnectionLimits::default());
        assert_eq!(defaults.idempotency_key_ttl, DEFAULT_IDEMPOTENCY_KEY_TTL);
        // The idle timeout must outlast the request timeout, also when only the latter moves.
        let error = config(&[("REQUEST_TIMEOUT_SECS", "40")]).unwrap_err();
        assert_eq!(error.variable, "IDLE_TIMEOUT_SECS");
        let config = config(&[
            ("MAX_CONNECTIONS", "50"),
            ("HEADER_READ_TIMEOUT_SECS", "2"),
            ("IDLE_TIMEOUT_SECS", "12"),
            ("IDEMPOTENCY_KEY_TTL_SECS", "60"),
        ])
        .unwrap();
        assert_eq!(
            config.connections,
            ConnectionLimits {
                max_connections: 50,
                header_read_timeout: Duration::from_secs(2),
                idle_timeout: Duration::from_secs(12),
            }
        );
        assert_eq!(config.idempotency_key_ttl, Duration::from_secs(60));
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn database_url_is_required_and_never_echoed() {
        let error = Config::from_lookup(|name| {
            (name == "DATABASE_URL").then(|| "mysql://user:hunter2@db/app".to_owned())
        })
        .unwrap_err();
        assert_eq!(error.variable, "DATABASE_URL");
        assert!(!error.to_string().contains("hunter2"));

        let missing = Config::from_lookup(|_| None).unwrap_err();
        assert_eq!(missing.variable, "DATABASE_URL");
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn pool_settings_are_read() {
        let config = config(&[
            ("DATABASE_MAX_CONNECTIONS", "12"),
            ("DATABASE_ACQUIRE_TIMEOUT_SECS", "1"),
        ])
        .unwrap();
        assert_eq!(config.database.max_connections, 12);
        assert_eq!(config.database.acquire_timeout, Duration::from_secs(1));
        assert!(!format!("{:?}", config.database).contains("secret"));
    }

    #[cfg(feature = "accounts")]
    #[test]
    fn accounts_need_a_public_url_and_a_mail_server_unless_mail_is_printed() {
        let printed = config(&[]).unwrap().accounts.unwrap();
        assert!(matches!(printed.mail, MailConfig::DevLog));
        assert_eq!(
            printed.session_idle_timeout,
            Duration::from_secs(7 * 24 * 60 * 60)
        );
        assert_eq!(
            printed.session_max_age,
            Duration::from_secs(30 * 24 * 60 * 60)
        );

        let no_mail = config(&[("MAIL_DEV_LOG", "0")])
            .unwrap()
            .accounts
            .unwrap_err();
        assert_eq!(no_mail.variable, "SMTP_URL");
        assert!(!no_mail.to_string().contains('\n'));
        let printed_anyway = config(&[("SMTP_URL", "smtp://127.0.0.1:1025")]).unwrap();
        assert!(matches!(
            printed_anyway.accounts.unwrap().mail,
            MailConfig::DevLog
        ));
        let no_sender = config(&[("SMTP_URL", "smtp://127.0.0.1:1025"), ("MAIL_DEV_LOG", "0")]);
        assert_eq!(
            no_sender.unwrap().accounts.unwrap_err().variable,
            "MAIL_FROM"
        );
        let smtp = config(&[
            ("SMTP_URL", "smtps://mailer:hunter2@smtp.example.com"),
            ("MAIL_FROM", "App <no-reply@example.com>"),
            ("MAIL_DEV_LOG", "false"),
            ("PUBLIC_URL", "https://app.example.com/"),
        ])
        .unwrap()
        .accounts
        .unwrap();
        assert_eq!(smtp.public_url, "https://app.example.com");
        assert!(!format!("{smtp:?}").contains("hunter2"));

        for (name, value) in [
            ("PUBLIC_URL", "app.example.com"),
            ("SMTP_URL", "http://mail.example.com"),
            ("MAIL_FROM", "not an address"),
            ("MAIL_DEV_LOG", "maybe"),
            ("SESSION_MAX_AGE_SECS", "0"),
        ] {
            assert_eq!(config(&[(name, value)]).unwrap_err().variable, name);
        }
        let no_url = Config::from_lookup(|name| {
            (name == "DATABASE_URL").then(|| "postgres://app@db/app".to_owned())
        });
        assert_eq!(no_url.unwrap().accounts.unwrap_err().variable, "PUBLIC_URL");
    }

    #[cfg(feature = "multi-region")]
    #[test]
    fn writes_are_replayed_only_from_a_region_other_than_the_primary() {
        let replica = config(&[("FLY_REGION", "syd"), ("PRIMARY_REGION", "sjc")]).unwrap();
        assert_eq!(replica.http.regions.replay_writes_to(), Some("sjc"));
        let primary = config(&[("FLY_REGION", "sjc"), ("PRIMARY_REGION", "sjc")]).unwrap();
        assert_eq!(primary.http.regions.replay_writes_to(), None);
        let local = config(&[("PRIMARY_REGION", "sjc")]).unwrap();
        assert_eq!(local.http.regions.replay_writes_to(), None);
        assert_eq!(local.http.regions.read_your_writes, Duration::from_secs(5));

        let unknown_primary = config(&[("FLY_REGION", "syd")]).unwrap_err();
        assert_eq!(unknown_primary.variable, "PRIMARY_REGION");
        for bad in ["SJC", "sj", "sjc;elsewhere=true"] {
            let error = config(&[("FLY_REGION", "syd"), ("PRIMARY_REGION", bad)]).unwrap_err();
            assert_eq!(error.variable, "PRIMARY_REGION", "{bad}");
        }
    }

    #[cfg(feature = "multi-region")]
    #[test]
    fn read_replica_shares_the_pool_settings_and_is_never_echoed() {
        assert!(config(&[]).unwrap().read_replica.is_none());
        let replica = config(&[
            (
                "DATABASE_READ_URL",
                "postgres://app:secret@replica:5433/app",
            ),
            ("DATABASE_MAX_CONNECTIONS", "7"),
        ])
        .unwrap()
        .read_replica
        .expect("a replica");
        assert_eq!(replica.url, "postgres://app:secret@replica:5433/app");
        assert_eq!(replica.max_connections, 7);
        let bad = config(&[("DATABASE_READ_URL", "mysql://app:hunter2@replica/app")]).unwrap_err();
        assert_eq!(bad.variable, "DATABASE_READ_URL");
        assert!(!bad.to_string().contains("hunter2"));
    }
}
