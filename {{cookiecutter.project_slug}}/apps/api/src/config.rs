//! The whole configuration, read from the environment once at start and validated.
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

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use axum::http::HeaderValue;
use tracing_subscriber::EnvFilter;

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
    fn from_vars(
        var: &impl Fn(&str) -> Option<String>,
        default_window: Duration,
    ) -> Result<Self, ConfigError> {
        let current = region_code(var("FLY_REGION"), "FLY_REGION")?;
        let primary = region_code(var("PRIMARY_REGION"), "PRIMARY_REGION")?;
        if current.is_some() && primary.is_none() {
            return Err(invalid(
                "PRIMARY_REGION",
                None,
                "the region of the writable database, e.g. sjc (fly.toml's primary_region sets it)",
            ));
        }
        Ok(Self {
            current,
            primary,
            read_your_writes: seconds(var("READ_YOUR_WRITES_SECS"), "READ_YOUR_WRITES_SECS")?
                .unwrap_or(default_window),
        })
    }

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

/// Shortest `API_WRITE_TOKEN` accepted: `openssl rand -hex 32` gives 64 characters.
pub const WRITE_TOKEN_MIN_CHARS: usize = 32;

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

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// Stripe keeps idempotency keys 24 hours: longer than any client's retries.
pub const DEFAULT_IDEMPOTENCY_KEY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

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

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            cors_allowed_origins: CorsOrigins::List(Vec::new()),
            request_timeout: Duration::from_secs(10),
            request_body_limit: 64 * 1024,
            write_token: None,
            limits: Limits {
                per_client_per_second: 100,
                per_client_burst: 200,
                max_concurrent_requests: 128,
            },
            on_fly: false,
            #[cfg(feature = "multi-region")]
            regions: Regions {
                current: None,
                primary: None,
                read_your_writes: Duration::from_secs(5),
            },
        }
    }
}

/// A bad or missing variable; its `Display` is the one line printed before exiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    /// The offending value, or `None` when it is missing or must not be printed.
    pub value: Option<String>,
    pub expected: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(
                f,
                "invalid {}={value:?}: expected {}",
                self.variable, self.expected
            ),
            None => write!(f, "invalid {}: expected {}", self.variable, self.expected),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every variable through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let defaults = HttpConfig::default();

        let host: IpAddr = parse(var("HOST"), "HOST", "an IP address such as 0.0.0.0 or ::")?
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let port = positive::<u16>(var("PORT"), "PORT", PORT_NUMBER)?.unwrap_or(8080);
        let metrics_port =
            positive::<u16>(var("METRICS_PORT"), "METRICS_PORT", METRICS_PORT_NUMBER)?
                .unwrap_or(9092);
        // Also when METRICS_PORT is left at its default: the two listeners cannot share a port.
        if metrics_port == port {
            return Err(invalid(
                "METRICS_PORT",
                var("METRICS_PORT"),
                METRICS_PORT_NUMBER,
            ));
        }

        let http = HttpConfig {
            cors_allowed_origins: cors_origins(var("CORS_ALLOWED_ORIGINS"))?,
            request_timeout: seconds(var("REQUEST_TIMEOUT_SECS"), "REQUEST_TIMEOUT_SECS")?
                .unwrap_or(defaults.request_timeout),
            request_body_limit: positive(
                var("REQUEST_BODY_LIMIT_BYTES"),
                "REQUEST_BODY_LIMIT_BYTES",
                "a positive number of bytes",
            )?
            .unwrap_or(defaults.request_body_limit),
            write_token: write_token(var("API_WRITE_TOKEN"))?,
            limits: Limits {
                per_client_per_second: positive(
                    var("RATE_LIMIT_PER_SECOND"),
                    "RATE_LIMIT_PER_SECOND",
                    "a positive number of requests",
                )?
                .unwrap_or(defaults.limits.per_client_per_second),
                per_client_burst: positive(
                    var("RATE_LIMIT_BURST"),
                    "RATE_LIMIT_BURST",
                    "a positive number of requests",
                )?
                .unwrap_or(defaults.limits.per_client_burst),
                max_concurrent_requests: positive(
                    var("MAX_CONCURRENT_REQUESTS"),
                    "MAX_CONCURRENT_REQUESTS",
                    "a positive number of requests",
                )?
                .unwrap_or(defaults.limits.max_concurrent_requests),
            },
            on_fly: var("FLY_APP_NAME").is_some(),
            #[cfg(feature = "multi-region")]
            regions: Regions::from_vars(&var, defaults.regions.read_your_writes)?,
        };

        let connections = connection_limits(&var, http.request_timeout)?;
        let idempotency_key_ttl =
            seconds(var("IDEMPOTENCY_KEY_TTL_SECS"), "IDEMPOTENCY_KEY_TTL_SECS")?
                .unwrap_or(DEFAULT_IDEMPOTENCY_KEY_TTL);

        let log_filter = var("RUST_LOG").unwrap_or_else(|| "info".to_owned());
        if EnvFilter::try_new(&log_filter).is_err() {
            return Err(invalid(
                "RUST_LOG",
                Some(log_filter),
                "a filter such as info or api=debug,info",
            ));
        }

        #[cfg(feature = "postgres")]
        let database = DatabaseConfig::from_vars(&var)?;
        Ok(Self {
            listen: SocketAddr::new(host, port),
            metrics_listen: SocketAddr::new(host, metrics_port),
            http,
            connections,
            idempotency_key_ttl,
            log_filter,
            #[cfg(feature = "multi-region")]
            read_replica: database.read_replica(&var)?,
            #[cfg(feature = "postgres")]
            database,
        })
    }
}

fn connection_limits(
    var: &impl Fn(&str) -> Option<String>,
    request_timeout: Duration,
) -> Result<ConnectionLimits, ConfigError> {
    let defaults = ConnectionLimits::default();
    let limits = ConnectionLimits {
        max_connections: positive(
            var("MAX_CONNECTIONS"),
            "MAX_CONNECTIONS",
            "a positive number of connections",
        )?
        .unwrap_or(defaults.max_connections),
        header_read_timeout: seconds(var("HEADER_READ_TIMEOUT_SECS"), "HEADER_READ_TIMEOUT_SECS")?
            .unwrap_or(defaults.header_read_timeout),
        idle_timeout: seconds(var("IDLE_TIMEOUT_SECS"), "IDLE_TIMEOUT_SECS")?
            .unwrap_or(defaults.idle_timeout),
    };
    // A handler sends nothing while it works: the idle timeout must not cut it off first.
    if limits.idle_timeout <= request_timeout {
        return Err(invalid(
            "IDLE_TIMEOUT_SECS",
            var("IDLE_TIMEOUT_SECS"),
            "more seconds than REQUEST_TIMEOUT_SECS",
        ));
    }
    Ok(limits)
}

#[cfg(feature = "postgres")]
impl DatabaseConfig {
    fn from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let url = postgres_url(var("DATABASE_URL")).ok_or(ConfigError {
            variable: "DATABASE_URL",
            value: None,
            expected: "a URL such as postgres://user:password@host:5432/database",
        })?;
        Ok(Self {
            url,
            max_connections: positive(
                var("DATABASE_MAX_CONNECTIONS"),
                "DATABASE_MAX_CONNECTIONS",
                "a positive number of connections",
            )?
            .unwrap_or(5),
            acquire_timeout: seconds(
                var("DATABASE_ACQUIRE_TIMEOUT_SECS"),
                "DATABASE_ACQUIRE_TIMEOUT_SECS",
            )?
            .unwrap_or(Duration::from_secs(3)),
        })
    }
}

/// Pool settings as the primary's, another URL.
#[cfg(feature = "multi-region")]
impl DatabaseConfig {
    fn read_replica(
        &self,
        var: &impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let Some(raw) = var("DATABASE_READ_URL") else {
            return Ok(None);
        };
        let url = postgres_url(Some(raw)).ok_or(ConfigError {
            variable: "DATABASE_READ_URL",
            value: None, // it holds a password
            expected: "a URL such as postgres://user:password@replica:5433/database",
        })?;
        Ok(Some(Self {
            url,
            ..self.clone()
        }))
    }
}

#[cfg(feature = "postgres")]
fn postgres_url(value: Option<String>) -> Option<String> {
    value.filter(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
}

/// Three lowercase letters, as Fly names regions: the value goes into a `fly-replay` header.
#[cfg(feature = "multi-region")]
fn region_code(
    value: Option<String>,
    variable: &'static str,
) -> Result<Option<String>, ConfigError> {
    value
        .map(|code| code.trim().to_owned())
        .map(|code| {
            if code.len() == 3 && code.bytes().all(|b| b.is_ascii_lowercase()) {
                Ok(code)
            } else {
                Err(invalid(
                    variable,
                    Some(code),
                    "a Fly region code such as sjc",
                ))
            }
        })
        .transpose()
}

const PORT_NUMBER: &str = "a port number from 1 to 65535";
const METRICS_PORT_NUMBER: &str = "a port number from 1 to 65535, other than PORT";

fn invalid(variable: &'static str, value: Option<String>, expected: &'static str) -> ConfigError {
    ConfigError {
        variable,
        value,
        expected,
    }
}

fn parse<T: FromStr>(
    value: Option<String>,
    variable: &'static str,
    expected: &'static str,
) -> Result<Option<T>, ConfigError> {
    value
        .map(|raw| {
            raw.trim()
                .parse::<T>()
                .map_err(|_| invalid(variable, Some(raw), expected))
        })
        .transpose()
}

fn positive<T: FromStr + PartialOrd + Default>(
    value: Option<String>,
    variable: &'static str,
    expected: &'static str,
) -> Result<Option<T>, ConfigError> {
    match parse::<T>(value.clone(), variable, expected)? {
        Some(number) if number <= T::default() => Err(invalid(variable, value, expected)),
        number => Ok(number),
    }
}

fn seconds(value: Option<String>, variable: &'static str) -> Result<Option<Duration>, ConfigError> {
    Ok(
        positive::<u64>(value, variable, "a positive whole number of seconds")?
            .map(Duration::from_secs),
    )
}

fn write_token(value: Option<String>) -> Result<Option<WriteToken>, ConfigError> {
    match value.map(|token| token.trim().to_owned()) {
        Some(token) if token.chars().count() < WRITE_TOKEN_MIN_CHARS => Err(ConfigError {
            variable: "API_WRITE_TOKEN",
            value: None, // a secret, even a weak one, is never echoed
            expected: "at least 32 characters, e.g. from `openssl rand -hex 32`",
        }),
        token => Ok(token.map(WriteToken)),
    }
}

fn cors_origins(value: Option<String>) -> Result<CorsOrigins, ConfigError> {
    const EXPECTED: &str =
        "* or comma-separated origins such as https://example.com,http://localhost:3000";
    let Some(raw) = value else {
        return Ok(CorsOrigins::List(Vec::new()));
    };
    if raw.trim() == "*" {
        return Ok(CorsOrigins::Any);
    }
    raw.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let valid = is_origin(origin);
            valid
                .then(|| HeaderValue::from_str(origin).ok())
                .flatten()
                .ok_or_else(|| invalid("CORS_ALLOWED_ORIGINS", Some(raw.clone()), EXPECTED))
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
            assert!(line.starts_with(&format!("invalid {name}=")), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
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
        let any = super::cors_origins(Some("*".to_owned())).unwrap();
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
