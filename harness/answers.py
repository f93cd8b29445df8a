"""The template's options, read from cookiecutter.json: the one place they are defined."""

import json

from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from harness.paths import TEMPLATE_DIR

COOKIECUTTER_JSON = TEMPLATE_DIR / "cookiecutter.json"
OPTIONS = json.loads(COOKIECUTTER_JSON.read_text(encoding="utf-8"))
# Options answered by picking from a list, with their values in order (the first is the default).
CHOICES = {name: tuple(values) for name, values in OPTIONS.items()
           if isinstance(values, list) and not name.startswith("_")}


def default_answers(**changes: str) -> dict:
    """The answers `cookiecutter --no-input` gives for these changes, derived defaults rendered."""
    context = generate_context(context_file=str(COOKIECUTTER_JSON), extra_context=changes)
    return {name: value for name, value in prompt_for_config(context, no_input=True).items()
            if not name.startswith("_")}


# The "full" monorepo: every optional part switched on, npm as its package manager and
# Node 24 (the default standalone covers pnpm and Node 26; a final-stage bake covers Node 22).
FULL_MONOREPO = {
    "layout": "monorepo",
    "backend": "rust",
    "database": "postgres",
    "use_redis": "yes",
    "use_i18n": "yes",
    "use_sentry": "yes",
    "package_manager": "npm",
    "ci": "github-actions",
    "deploy_on_push": "yes",
    "node_version": "24",
    "multi_region": "yes",
    "auth": "password",
}


DEFAULTS = default_answers()


def answers_id(answers: dict) -> str:
    """A test id that reads `layout=monorepo,backend=rust,...`: the answers that differ from the
    defaults, in cookiecutter.json's order (`defaults` when none does)."""
    return ",".join(f"{name}={answers[name]}" for name in OPTIONS
                    if name in answers and answers[name] != DEFAULTS.get(name)) or "defaults"
