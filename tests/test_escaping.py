"""Hostile user text must land escaped in every file format and round-trip exactly."""

import json
import re
import subprocess
import tomllib
from html.parser import HTMLParser

import jinja2
import pytest
import yaml

import local_extensions as filters
from harness.answers import FULL_MONOREPO
from harness.bake import bake
from harness.generated import parse_errors, template_leftovers
from harness.hostile_text import HOSTILE, HOSTILE_NAME, IDS
from harness.paths import TEMPLATE_DIR


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_json_filter_round_trips_and_cannot_close_a_script(text):
    literal = filters.json_str(text)
    assert json.loads(literal) == text
    assert "<" not in literal and ">" not in literal and "\u2028" not in literal


@pytest.mark.parametrize("text", HOSTILE + ["'''\"\"", "'\"", "\\'"], ids=IDS + ["more-single", "one-each", "backslash-quote"])
def test_js_filter_evaluates_back_to_the_text_and_cannot_close_a_script(text):
    literal = filters.js_str(text)
    node = subprocess.run(["node", "-e", f"process.stdout.write(JSON.stringify({literal}))"],
                          capture_output=True, text=True, timeout=30)
    assert node.returncode == 0, node.stderr
    assert json.loads(node.stdout) == text
    assert "<" not in literal and ">" not in literal and "\u2028" not in literal
    # Prettier's quote: single unless the text holds more single quotes than double ones.
    assert literal[0] == ('"' if text.count("'") > text.count('"') else "'")


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_toml_filter_round_trips(text):
    assert tomllib.loads(f"value = {filters.toml_str(text)}\n")["value"] == text


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_yaml_filter_round_trips(text):
    assert yaml.safe_load(f"value: {filters.yaml_str(text)}\n")["value"] == text


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_one_line_and_markdown_filters_keep_text_on_one_line(text):
    for escaped in (filters.one_line(text), filters.md_text(text)):
        assert "\n" not in escaped and "\t" not in escaped and "\u2028" not in escaped
    assert "<script>" not in filters.md_text(text)


def registered_filters() -> set[str]:
    environment = jinja2.Environment(extensions=[filters.EscapeFilters])
    return set(environment.filters) - set(jinja2.Environment().filters)


def test_readme_lists_exactly_the_filters_the_extension_registers():
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("local_extensions.py"):readme.index("{{cookiecutter.project_slug}}/")]
    listed = set(re.findall(r"\b([a-z]+_[a-z_]+)\b", block)) - {"local_extensions"}
    assert listed == registered_filters()


def test_every_registered_filter_is_used_by_a_template_file():
    sources = [p for p in TEMPLATE_DIR.glob("{{cookiecutter.project_slug}}/**/*") if p.is_file()]
    text = (TEMPLATE_DIR / "cookiecutter.json").read_text() + "".join(p.read_text(errors="ignore") for p in sources)
    unused = {name for name in registered_filters() if not re.search(rf"\|\s*{name}\b", text)}
    assert not unused, f"filters no template uses: {sorted(unused)}"


@pytest.fixture(scope="module", params=list(zip(HOSTILE, IDS)), ids=IDS)
def hostile_project(request, tmp_path_factory):
    text, _ = request.param
    root = bake(tmp_path_factory.mktemp("hostile"), project_name=text, description=text, author_name=text,
                project_slug="hostile-app", **FULL_MONOREPO)
    return text, root


def test_hostile_bake_leaves_every_file_parseable(hostile_project):
    text, root = hostile_project
    assert parse_errors(root) == []
    assert template_leftovers(root) == []


def test_hostile_text_round_trips_in_package_json(hostile_project):
    text, root = hostile_project
    for manifest in ("package.json", "apps/web/package.json"):
        assert json.loads((root / manifest).read_text(encoding="utf-8"))["description"] == text, manifest


def test_hostile_text_round_trips_in_cargo_toml(hostile_project):
    text, root = hostile_project
    package = tomllib.loads((root / "apps/api/Cargo.toml").read_text(encoding="utf-8"))["package"]
    assert package["description"] == text


def test_hostile_text_never_lands_raw_in_markdown(hostile_project):
    text, root = hostile_project
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert filters.md_text(text) in readme
    if "<script>" in text:
        assert "<script>" not in readme


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_compose_filter_survives_yaml_and_variable_interpolation(text):
    parsed = yaml.safe_load(f"value: {filters.compose_str(text)}\n")["value"]
    assert parsed.replace("$$", "$") == text


def test_hostile_text_round_trips_in_resolved_compose_labels(hostile_project):
    """`docker-compose config` (no engine needed) parses, interpolates and prints the labels back."""
    text, root = hostile_project
    (root / ".env").write_text((root / ".env.example").read_text())
    result = subprocess.run(["docker-compose", "-f", "docker-compose.yml", "config", "--format", "json"],
                            cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    labels = json.loads(result.stdout)["services"]["web"]["build"]["labels"]
    # `config` prints a compose file again, so a literal `$` comes back escaped as `$$`;
    # anything interpolated (`${HOME}`) would have come back as its value instead.
    assert labels["org.opencontainers.image.title"] == text.replace("$", "$$")
    assert labels["org.opencontainers.image.description"] == text.replace("$", "$$")


def test_hostile_text_round_trips_in_the_page_title_source(hostile_project):
    """The site name is a string literal in TypeScript (quoted as Prettier quotes it); the server
    HTML-escapes it into <title>."""
    text, root = hostile_project
    source = (root / "apps/web/src/app/site.ts").read_text(encoding="utf-8")
    literal = source.split("SITE_NAME =", 1)[1].rsplit(";", 1)[0].strip()
    node = subprocess.run(["node", "-e", f"process.stdout.write(JSON.stringify({literal}))"],
                          capture_output=True, text=True, timeout=30)
    assert json.loads(node.stdout) == text, node.stderr


class TitleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside, self.text = False, ""

    def handle_starttag(self, tag, attrs):
        self.inside = self.inside or tag == "title"

    def handle_endtag(self, tag):
        self.inside = self.inside and tag != "title"

    def handle_data(self, data):
        if self.inside:
            self.text += data


@pytest.fixture(scope="module")
def hostile_named_app(bakes, tmp_path_factory):
    """The default app named with hostile text, baked, installed and built."""
    from harness.web_build import install_and_build

    project = bakes.copy(tmp_path_factory.mktemp("hostile-name"), project_name=HOSTILE_NAME, project_slug="hostile-title")
    return install_and_build(project)


@pytest.mark.slow
def test_hostile_project_name_is_exactly_the_rendered_page_title(hostile_named_app, tmp_path):
    """Start the app named with hostile text; read <title> back."""
    from harness.web_build import start_web
    from harness.servers import http

    server = start_web(hostile_named_app, tmp_path)
    try:
        page = http(server.url + "/", {"accept": "text/html"}).text
    finally:
        server.stop()
    parser = TitleText()
    parser.feed(page)
    assert parser.text == HOSTILE_NAME
    assert "<script>alert(1)" not in page and "</title><!--" not in page


@pytest.mark.slow
def test_hostile_project_name_keeps_every_page_accessible_and_within_a_phone(hostile_named_app):
    """The project's own browser test (design checks included) on the app so named: the name
    wraps in the header and the footer instead of widening the page past 390 px."""
    result = hostile_named_app.run("test:e2e", env={"E2E_REQUIRE_BROWSER": "1"}, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:]
    for path in ("/", "/posts/1", "/no/such/page"):
        assert f"ok - nothing scrolls sideways at 390 px on {path}" in result.stdout, result.stdout[-6000:]
        assert f"ok - axe-core finds no serious or critical violation on {path} (dark)" in result.stdout
