"""Fast tier: what `auth` changes in a generated project's files (the API's behaviour is proven by
test_accounts_api.py in the slow tier)."""

import tomllib

import pytest
import yaml

from harness.bake import bake

MONOREPO = {"layout": "monorepo", "backend": "rust", "database": "postgres"}
ACCOUNTS_MIGRATION = "apps/api/migrations/0004_accounts.sql"
MAIL_SETTINGS = ("SMTP_URL", "MAIL_FROM", "MAIL_DEV_LOG", "PUBLIC_URL")


@pytest.fixture(scope="module", params=["none", "password"])
def baked(request, tmp_path_factory):
    return request.param, bake(tmp_path_factory.mktemp(f"auth-{request.param}"), **MONOREPO, auth=request.param)


def test_accounts_are_a_default_cargo_feature_and_a_migration_only_with_auth_password(baked):
    auth, root = baked
    cargo = tomllib.loads((root / "apps/api/Cargo.toml").read_text())
    assert ("accounts" in cargo["features"]["default"]) is (auth == "password")
    assert "postgres" in cargo["features"]["accounts"], "accounts implies postgres"
    assert (root / ACCOUNTS_MIGRATION).is_file() is (auth == "password")


def test_mail_settings_are_fly_env_or_secrets_and_the_dev_switch_never_reaches_fly(baked):
    auth, root = baked
    fly_env = tomllib.loads((root / "apps/api/fly.toml").read_text())["env"]
    assert "MAIL_DEV_LOG" not in fly_env and "SMTP_URL" not in fly_env, "SMTP_URL is a secret"
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]["api"]["environment"]
    if auth == "password":
        assert fly_env["PUBLIC_URL"] == f"https://{root.name}.fly.dev"
        assert compose["SMTP_URL"] == "smtp://mailpit:1025", "compose's mail catcher"
    else:
        assert not set(MAIL_SETTINGS) & (set(fly_env) | set(compose))
        for doc in ("README.md", ".env.example", "docs/DEPLOYMENT-GUIDE.md"):
            assert "SMTP_URL" not in (root / doc).read_text(), doc
