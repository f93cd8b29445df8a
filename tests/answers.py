"""The template's options, read from cookiecutter.json: the one place they are defined."""

import json

from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from conftest import TEMPLATE_DIR

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
