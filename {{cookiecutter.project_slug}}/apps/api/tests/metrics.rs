//! What `/metrics` shows after a known set of requests. One test: the recorder is process-wide.

mod support;

use std::sync::Arc;

use api::config::{HttpConfig, Limits};
use api::http::{AppState, router};
use api::metrics::UNMATCHED;
use api::metrics::{self, HTTP_REQUEST_DURATION, HTTP_REQUESTS, RATE_LIMIT_REJECTIONS};
use api::repository::memory::MemoryPostRepository;
use axum::http::StatusCode;
use support::{get, send, writable};

/// The value of the series `name{labels}` in a Prometheus text rendering (label order as given).
fn value(rendered: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    rendered
        .lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .find(|line| {
            labels
                .iter()
                .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_with_bounded_labels() {
    let handle = metrics::install().expect("the only recorder of this test binary");
    let config = HttpConfig {
        limits: Limits {
            per_client_per_second: 1,
            per_client_burst: 40,
            max_concurrent_requests: 64,
        },
        ..writable()
    };
    let repository = Arc::new(MemoryPostRepository::seeded());
    let app = router(AppState::new(repository, &config), &config);

    for _ in 0..3 {
        assert_eq!(send(&app, get("/api/posts")).await.status, StatusCode::OK);
    }
    for id in 1..=30 {
        send(&app, get(&format!("/api/posts/{id}"))).await;
    }
    for path in ["/nope", "/nope/42", "/api/posts/1/extra"] {
        assert_eq!(send(&app, get(path)).await.status, StatusCode::NOT_FOUND);
    }
    // 36 requests of a burst of 40 spent (one more token a second): 8 more go over the rate.
    for _ in 0..12 {
        send(&app, get("/api/posts")).await;
    }

    let rendered = handle.render();
    let ok_list = [("route", "/api/posts"), ("status", "200")];
    let found = [("route", "/api/posts/{id}"), ("status", "200")];
    let missing = [("route", "/api/posts/{id}"), ("status", "404")];
    let unmatched = [("route", UNMATCHED), ("status", "404")];
    assert_eq!(
        value(&rendered, HTTP_REQUESTS, &found),
        2.0,
        "ids 1 and 2 exist"
    );
    assert_eq!(value(&rendered, HTTP_REQUESTS, &missing), 28.0);
    assert_eq!(value(&rendered, HTTP_REQUESTS, &unmatched), 3.0);
    let limited = [("route", "/api/posts"), ("status", "429")];
    let refused = value(&rendered, HTTP_REQUESTS, &limited);
    assert_eq!(value(&rendered, HTTP_REQUESTS, &ok_list) + refused, 15.0);
    assert!(refused >= 1.0, "{rendered}");
    assert_eq!(
        value(&rendered, RATE_LIMIT_REJECTIONS, &[("limit", "per_client")]),
        refused
    );

    // A histogram with buckets (not a summary), and no raw path or id in any label.
    let bucket = format!("{HTTP_REQUEST_DURATION}_bucket{{");
    assert!(rendered.lines().any(|line| line.starts_with(&bucket)));
    let routes: std::collections::BTreeSet<_> = rendered
        .lines()
        .filter_map(|line| line.split("route=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        routes.into_iter().collect::<Vec<_>>(),
        ["/api/posts", "/api/posts/{id}", UNMATCHED]
    );
}
