"""harness.npm_commands and harness.cargo_commands: whether a command names what exists where it runs."""

import json

import pytest

from harness.cargo_commands import api_subcommands, cargo_problems, cfg_gates, compiled_in
from harness.npm_commands import package_manager_problems, workspace_packages
from harness.project import Project

MAIN_RS = '''
#[derive(Subcommand)]
enum Command {
    /// Serve HTTP.
    Serve,
    Migrate,
    #[cfg(feature = "postgres")]
    SeedDemoData,
    #[cfg(not(feature = "postgres"))]
    MemoryOnly,
}
'''


@pytest.fixture
def project(tmp_path) -> Project:
    """A monorepo: npm workspaces apps/* with a web app, and an API crate with a postgres feature."""
    root = tmp_path / "shop"
    (root / "apps" / "web").mkdir(parents=True)
    (root / "apps" / "api" / "src").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": "shop", "workspaces": ["apps/*"],
                                                   "scripts": {"dev": "npm run dev -w web"}}))
    (root / "apps" / "web" / "package.json").write_text(json.dumps({"name": "web", "scripts": {"build": "vite build"}}))
    (root / "apps" / "api" / "Cargo.toml").write_text('[package]\nname = "api"\n[features]\ndefault = []\npostgres = []\n')
    (root / "apps" / "api" / "src" / "main.rs").write_text(MAIN_RS)
    return Project(root, {"layout": "monorepo", "backend": "rust"})


def npm(project: Project, folder: str, line: str) -> list[str]:
    argv = line.split()
    return package_manager_problems(project, project.root / folder, argv)


def test_workspace_packages_by_name(project):
    assert workspace_packages(project.root) == {"web": project.root / "apps" / "web"}


def test_a_script_of_the_nearest_package_json_or_of_the_selected_workspace(project):
    assert npm(project, ".", "npm run dev") == []
    assert npm(project, "apps/web", "npm run build") == []
    assert npm(project, ".", "npm run build -w web") == []
    assert npm(project, ".", "pnpm --filter web build") == []  # pnpm runs a script by its bare name
    assert npm(project, ".", "npm install") == [] and npm(project, ".", "npm ci") == []


def test_a_missing_script_or_workspace_is_named(project):
    assert npm(project, ".", "npm run build") == ["shop/package.json has no 'build' script"]
    assert npm(project, ".", "npm run build -w admin") == ["no workspace package 'admin' (there are ['web'])"]
    assert npm(project, ".", "npm frobnicate") == ["`npm frobnicate` is neither a npm command this test knows nor a script"]


def test_cfg_gates_span_the_item_they_gate():
    source = '#[cfg(feature = "a")]\nfn f() { let s = "}"; }\nfn g() {}\n#[cfg(not(feature = "b"))]\nfield: u8,\nrest'
    (gate_a, gate_b) = cfg_gates(source)
    assert source[gate_a[0]:gate_a[1]].endswith('"}"; }') and gate_a[2:] == ("a", False)
    assert source[gate_b[0]:gate_b[1]].endswith("field: u8,") and gate_b[2:] == ("b", True)
    assert compiled_in(source, source.index("let s"), {"a"}) and not compiled_in(source, source.index("let s"), set())
    assert compiled_in(source, source.index("fn g"), set())


def test_api_subcommands_follow_the_features_compiled_in(project):
    manifest = project.root / "apps" / "api" / "Cargo.toml"
    assert api_subcommands(manifest, set()) == {"serve", "migrate", "memory-only", "help"}
    assert api_subcommands(manifest, {"postgres"}) == {"serve", "migrate", "seed-demo-data", "help"}


def test_cargo_features_and_subcommands_must_exist(project):
    def cargo(line: str) -> list[str]:
        return cargo_problems(project, project.root / "apps" / "api", line.split())

    assert cargo("cargo run --features postgres -- seed-demo-data") == []
    assert cargo("cargo run -- seed-demo-data") == [
        "`seed-demo-data` is not a subcommand of the API built with features [] (it has "
        "['help', 'memory-only', 'migrate', 'serve'])"]
    assert cargo("cargo build --features postgress") == ["no Cargo feature 'postgress' in apps/api/Cargo.toml"]
    assert cargo_problems(project, project.root, ["cargo", "test"]) == ["no Cargo.toml for `cargo test` run in shop"]
    assert cargo_problems(project, project.root, ["cargo", "test", "--manifest-path", "apps/api/Cargo.toml"]) == []
