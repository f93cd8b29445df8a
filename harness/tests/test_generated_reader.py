"""harness.generated: what the suite reads of a generated project's files."""

import json

from harness.generated import (dashboard_metric_names, empty_dirs, exported_metric_names, parse_errors,
                               relative_files, template_leftovers)


def test_files_skip_installs_and_build_output(tmp_path):
    for relative in ("README.md", "src/app.ts", "node_modules/x/index.js", "dist/server/index.cjs", "apps/api/target/a"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    assert relative_files(tmp_path) == {"README.md", "src/app.ts"}


def test_template_leftovers_are_found_where_they_are_no_syntax_of_the_file(tmp_path):
    (tmp_path / "ci.yml").write_text("run: echo ${{ github.sha }}\nname: {{ cookiecutter.project_name }}\n")
    (tmp_path / "App.svelte").write_text("{#if open}<p>{# comment</p>{/if}\n")
    (tmp_path / "lib.rs").write_text('format!("{{}}")\n')
    (tmp_path / "notes.md").write_text("{% if x %}\n")
    assert template_leftovers(tmp_path) == [
        "App.svelte:1: {# in '{#if open}<p>{# comment</p>{/if}'",
        "ci.yml:2: {{ in 'name: {{ cookiecutter.project_name }}'",
        "ci.yml:2: cookiecutter. in 'name: {{ cookiecutter.project_name }}'",
        "notes.md:1: {% in '{% if x %}'",
    ]


def test_parse_errors_name_the_file_and_the_parser(tmp_path):
    (tmp_path / "good.json").write_text("{}")
    (tmp_path / "bad.toml").write_text("a = \n")
    (tmp_path / "bad.yml").write_text("a: [\n")
    errors = parse_errors(tmp_path)
    assert [error.split(":")[0] for error in errors] == ["bad.toml", "bad.yml"]
    assert errors[0].startswith("bad.toml: TOMLDecodeError: ") and errors[1].startswith("bad.yml: ParserError: ")


def test_empty_dirs(tmp_path):
    (tmp_path / "kept" / "empty").mkdir(parents=True)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("x")
    assert empty_dirs(tmp_path) == ["kept/empty"]


def test_dashboard_metrics_count_a_histograms_series_as_the_histogram(tmp_path):
    dashboard = {"panels": [{"targets": [{"expr": "sum(rate(http_request_duration_seconds_bucket{app=\"web\"}[5m]))"},
                                         {"expr": "up{job=\"web\"}"}]}],
                 "templating": {"list": [{"query": {"query": "label_values(process_start_time_seconds, instance)"}}]}}
    (tmp_path / "web.json").write_text(json.dumps(dashboard))
    assert dashboard_metric_names(tmp_path / "web.json") == {"http_request_duration_seconds", "up",
                                                             "process_start_time_seconds"}


def test_exported_metric_names_of_each_app(tmp_path):
    web, api = tmp_path / "web", tmp_path / "api"
    (web / "src" / "server").mkdir(parents=True)
    (web / "src" / "server" / "metrics.ts").write_text(
        "export const METRIC_NAMES = { requests: 'http_requests_total' } as const;\n"
        "export const RUNTIME_METRIC_NAMES = ['nodejs_heap_bytes'] as const;\nconst other = 'not_exported';\n")
    (api / "src").mkdir(parents=True)
    (api / "src" / "metrics.rs").write_text('pub const REQUESTS: &str = "api_requests_total";\nconst X: &str = "no";\n')
    assert exported_metric_names(web) == {"http_requests_total", "nodejs_heap_bytes"}
    assert exported_metric_names(api) == {"api_requests_total"}
