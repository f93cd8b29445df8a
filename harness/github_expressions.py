"""GitHub Actions expressions (`${{ ... }}`, `if:`), evaluated for a given context.

Enough of the language for the generated workflows' conditions and concurrency groups, with
GitHub's documented semantics: `&&`/`||` return an operand, not a boolean; strings compare
ignoring case; operands of different types compare as numbers; a missing property is null;
falsy values are false, 0, "", null and NaN. Anything else (indexing, other functions) raises,
so a workflow that starts using it fails loudly here instead of being misread.
https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
"""

import math
import re

TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^']|'')*') |
    (?P<number>-?\d+(?:\.\d+)?) |
    (?P<op>==|!=|&&|\|\||!|\(|\)|,) |
    (?P<name>[A-Za-z_][\w-]*(?:\.[A-Za-z_*][\w-]*)*)
)""", re.VERBOSE)

STATUS_FUNCTIONS = ("success", "always", "failure", "cancelled")


def tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read expression at {text[position:]!r}")
        kind = match.lastgroup
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def truthy(value) -> bool:
    return not (value is None or value is False or value == "" or
                (isinstance(value, (int, float)) and not isinstance(value, bool) and (value == 0 or math.isnan(value))))


def as_number(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value.strip()) if value.strip() else 0.0
    except ValueError:
        return math.nan


def equal(left, right) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    if type(left) is type(right):
        return left == right
    return as_number(left) == as_number(right)


class Evaluator:
    """`context`: nested dicts (github, needs, steps, inputs, secrets, env...);
    `status`: the value of success()/always()/failure()/cancelled() for the job or step."""

    def __init__(self, context: dict, status: dict | None = None):
        self.context = context
        self.status = status or {"success": True, "always": True, "failure": False, "cancelled": False}

    def evaluate(self, text: str):
        self.tokens, self.position = tokens(text), 0
        value = self.either()
        if self.position != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.position][1]!r} in {text!r}")
        return value

    def peek(self):
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None):
        kind, value = self.tokens[self.position]
        if expected is not None and value != expected:
            raise ValueError(f"expected {expected!r}, found {value!r}")
        self.position += 1
        return kind, value

    def either(self):
        left = self.both()
        while self.peek() == "||":
            self.take()
            right = self.both()
            left = left if truthy(left) else right
        return left

    def both(self):
        left = self.comparison()
        while self.peek() == "&&":
            self.take()
            right = self.comparison()
            left = right if truthy(left) else left
        return left

    def comparison(self):
        left = self.unary()
        while self.peek() in ("==", "!="):
            _, operator = self.take()
            same = equal(left, self.unary())
            left = same if operator == "==" else not same
        return left

    def unary(self):
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, value = self.take()
        if value == "(":
            inner = self.either()
            self.take(")")
            return inner
        if kind == "string":
            return value[1:-1].replace("''", "'")
        if kind == "number":
            return float(value)
        if kind != "name":
            raise ValueError(f"unexpected {value!r}")
        if value in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[value]
        if self.peek() == "(":
            self.take("(")
            self.take(")")
            if value not in STATUS_FUNCTIONS:
                raise ValueError(f"function {value}() is not modelled")
            return self.status[value]
        current = self.context
        for part in value.split("."):
            current = current.get(part) if isinstance(current, dict) else None
        return current


def evaluate(expression: str, context: dict, status: dict | None = None):
    """An `if:`-style expression, with or without its `${{ }}`."""
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return Evaluator(context, status).evaluate(text)


def interpolate(template: str, context: dict) -> str:
    """A string with `${{ }}` parts (a concurrency group, an env value), as GitHub renders it."""
    def render(match):
        value = Evaluator(context).evaluate(match[1])
        return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"\$\{\{(.*?)\}\}", render, template)


def uses_status_function(expression: str) -> bool:
    return any(name in STATUS_FUNCTIONS for kind, name in tokens(expression.replace("${{", "").replace("}}", ""))
               if kind == "name")
