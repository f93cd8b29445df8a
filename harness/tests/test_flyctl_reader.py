"""harness.flyctl: fly command lines read against a command tree (a small one here)."""

from pathlib import Path

import pytest

from harness.flyctl import FlyctlTree, flag_type

TREE = FlyctlTree({
    "flyctl_version": "v0.0.1",
    "global_flags": {"help": "-h bool", "verbose": "bool"},
    "commands": {
        "": {"flags": {}},
        "apps": {"flags": {}, "aliases": ["app"]},
        "apps create": {"flags": {"org": "-o string"}},
        "deploy": {"flags": {"app": "-a string", "config": "-c string", "remote-only": "bool",
                             "old": "bool deprecated", "secret": "bool hidden"}},
        "metrics": {"flags": {}, "hidden": True},
        "metrics show": {"flags": {}},
        "launch": {"flags": {}, "deprecated": True},
    },
})


def problems(line: str, cwd: Path = Path("/nowhere")) -> list[str]:
    return TREE.problems(cwd, line.split())


def test_command_paths_follow_names_and_aliases():
    assert TREE.command_path(["fly", "app", "create", "shop"]) == "apps create"
    assert TREE.command_path(["flyctl", "deploy", "--app", "x"]) == "deploy"
    assert TREE.command_path(["fly", "frobnicate"]) == ""


def test_a_well_formed_line_has_no_problem():
    assert problems("fly deploy --app shop --remote-only -c fly.toml --verbose") == []
    assert problems("fly apps create shop --org acme") == []


def test_unknown_hidden_and_deprecated_commands_and_flags_are_named():
    assert problems("fly frobnicate") == ["not a flyctl command"]
    assert problems("fly metrics show") == ["`fly metrics` is hidden"]
    assert problems("fly launch") == ["`fly launch` is deprecated"]
    assert problems("fly deploy --app x --nope") == ["`fly deploy` has no flag --nope"]
    assert problems("fly deploy -a x --old --secret") == ["flag --old of `fly deploy` is deprecated",
                                                          "flag --secret of `fly deploy` is hidden"]


def test_a_flags_value_is_not_read_as_an_argument_or_a_flag():
    assert problems("fly deploy --app --remote-only") == []  # --remote-only is --app's value here
    assert problems("fly deploy --app=x --remote-only") == []


def test_an_app_command_needs_an_app_where_no_fly_toml_is(tmp_path):
    assert problems("fly deploy --remote-only", tmp_path) == [
        f"`fly deploy` acts on an app and {tmp_path.name}/ has no fly.toml: pass --app (or --config)"]
    (tmp_path / "fly.toml").write_text("app = 'x'\n")
    assert problems("fly deploy --remote-only", tmp_path) == []


@pytest.mark.parametrize("spec, kind", [("-a string", "string"), ("bool", "bool"), ("bool hidden", "bool"),
                                        ("-h bool", "bool")])
def test_flag_types(spec, kind):
    assert flag_type(spec) == kind
