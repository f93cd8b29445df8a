"""Jinja filters: user text escaped for the file format it lands in, the default slug, and the
answers' check run while cookiecutter still prompts.

Every answer that is free text (project name, description, author) goes through
one of these filters; each returns a complete, quoted literal, so a template
writes `name = {{ cookiecutter.project_name|toml_str }}` with no quotes of its own.
"""

import html
import importlib.util
import json
import sys
from pathlib import Path

from cookiecutter.exceptions import FailedHookException
from jinja2.ext import Extension
from slugify import slugify  # python-slugify, a dependency of cookiecutter



def _pre_gen_rules():
    """hooks/pre_gen_project.py as a module: its rules are the one copy (only its last line is Jinja)."""
    spec = importlib.util.spec_from_file_location("pre_gen_project", Path(__file__).parent / "hooks" / "pre_gen_project.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RULES = _pre_gen_rules()
API_APP_SUFFIX = "-api"


def json_str(value: str) -> str:
    """A JSON string literal, also valid JavaScript/TypeScript and safe inside HTML."""
    text = json.dumps(str(value), ensure_ascii=False)
    # `<`, `>` and `&` escaped so the literal can never close a <script> element;
    # U+2028/U+2029 escaped for tools that still treat them as line ends.
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def js_str(value: str) -> str:
    """`json_str` with the quotes Prettier picks (single, unless the text holds more of them than
    double quotes), so the generated TypeScript passes the project's own `format:check`."""
    text = str(value)
    if text.count("'") > text.count('"'):
        return json_str(text)
    return "'" + json_str(text)[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"


def toml_str(value: str) -> str:
    """A TOML basic string: JSON escapes are TOML escapes, except DEL must be escaped too."""
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007F")


def yaml_str(value: str) -> str:
    """A YAML double-quoted scalar; YAML treats NEL, U+2028 and U+2029 as line breaks."""
    text = json.dumps(str(value), ensure_ascii=False)
    for char in ("\x85", "\u2028", "\u2029", "\x7f"):
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def compose_str(value: str) -> str:
    """A YAML scalar for docker-compose.yml, which also expands `$VAR`: `$` is written `$$`."""
    return yaml_str(str(value).replace("$", "$$"))


def one_line(value: str) -> str:
    """Prose for Markdown and comments: whitespace runs (tabs, newlines, U+2028) become one space."""
    return " ".join(str(value).split())


def md_text(value: str) -> str:
    """Prose for Markdown: one line, with HTML special characters escaped so no tag is rendered."""
    return html.escape(one_line(value), quote=False)


def project_slug(name: str) -> str:
    """The default slug: Fly app names, npm and crate names all need a DNS label that starts
    with a letter, so a name like "3D Printer Shop" becomes `app-3d-printer-shop`."""
    slug = slugify(str(name), max_length=RULES.SLUG_MAX_LENGTH)
    if not ("a" <= slug[:1] <= "z"):
        slug = ("app-" + slug)[:RULES.SLUG_MAX_LENGTH].strip("-")
    return slug


def api_app_name(slug: str) -> str:
    """The API's default Fly app name: the slug, shortened so that with `-api` it still fits the limit."""
    return str(slug)[:RULES.SLUG_MAX_LENGTH - len(API_APP_SUFFIX)].strip("-") + API_APP_SUFFIX


def refuse_invalid_answers(answers) -> str:
    """The pre-generation rules, run as cookiecutter renders its last variable (`__answers_checked`).

    A failing hook makes cookiecutter 2.7 log its traceback (hooks.run_hook_from_repo_dir) and
    save the refused answers for `--replay` first (main.cookiecutter dumps before generating).
    Raised here, while prompting, its CLI prints only the exception's message (cli.main echoes a
    FailedHookException), nothing is written and the replay file keeps the last answers that
    passed. The reasons go to stderr, so tools that show exceptions their own way (cruft) show
    them too. The hook still runs the same rules for answers that skip the prompt.
    """
    problems = RULES.validate(dict(answers))
    if problems:
        print(RULES.report(problems), file=sys.stderr, flush=True)
        raise FailedHookException("These answers were not saved: `cookiecutter --replay` repeats the last accepted"
                                  " ones. Run again with the answers fixed (key=value).")
    return ""


class EscapeFilters(Extension):
    """Registers the filters the templates use under their own names."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(
            json_str=json_str,
            js_str=js_str,
            toml_str=toml_str,
            compose_str=compose_str,
            one_line=one_line,
            md_text=md_text,
            project_slug=project_slug,
            api_app_name=api_app_name,
            refuse_invalid_answers=refuse_invalid_answers,
        )
