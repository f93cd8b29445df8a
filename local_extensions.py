"""Jinja filters that escape user text for the file format it lands in.

Every answer that is free text (project name, description, author) goes through
one of these filters; each returns a complete, quoted literal, so a template
writes `name = {{ cookiecutter.project_name|toml_str }}` with no quotes of its own.
"""

import html
import json
import shlex

from jinja2.ext import Extension


def json_str(value: str) -> str:
    """A JSON string literal, also valid JavaScript/TypeScript and safe inside HTML."""
    text = json.dumps(str(value), ensure_ascii=False)
    # `<`, `>` and `&` escaped so the literal can never close a <script> element;
    # U+2028/U+2029 escaped for tools that still treat them as line ends.
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


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


def rust_str(value: str) -> str:
    """A Rust string literal."""
    out = []
    for char in str(value):
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F or char in "\u2028\u2029":
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def shell_quote(value: str) -> str:
    """A POSIX shell word that expands to exactly `value`."""
    return shlex.quote(str(value))


def one_line(value: str) -> str:
    """Prose for Markdown and comments: whitespace runs (tabs, newlines, U+2028) become one space."""
    return " ".join(str(value).split())


def md_text(value: str) -> str:
    """Prose for Markdown: one line, with HTML special characters escaped so no tag is rendered."""
    return html.escape(one_line(value), quote=False)


def crate_name(slug: str) -> str:
    """Cargo package names use `_` where the slug has `-`."""
    return str(slug).replace("-", "_")


class EscapeFilters(Extension):
    """Registers the filters above under their own names."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(
            json_str=json_str,
            toml_str=toml_str,
            yaml_str=yaml_str,
            compose_str=compose_str,
            rust_str=rust_str,
            shell_quote=shell_quote,
            one_line=one_line,
            md_text=md_text,
            crate_name=crate_name,
        )
