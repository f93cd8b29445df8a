"""Validate every answer before cookiecutter writes a single project file.

Each rule is a plain function returning the problems it found, so the tests import
and exercise them without baking. All problems are printed at once, one line each,
naming the option, the rule and a valid example; the exit status is then 1 and
cookiecutter removes the (still empty) project folder it created.
"""

import json
import re
import sys

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
SLUG_MAX_LENGTH = 63  # a DNS label: Fly app names become <name>.fly.dev
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MEMORY_PATTERN = re.compile(r"^[1-9][0-9]*(mb|gb)$")
TEXT_MAX_LENGTH = 200

# Fly.io's regions as `fly platform regions` lists them (2026); the regions Fly
# retired in its 2025 consolidation are refused so a deploy cannot fail later.
FLY_REGIONS = frozenset(
    "ams arn bom cdg dfw ewr fra gru iad jnb lax lhr nrt ord sin sjc syd yyz".split()
)

def problem(option, rule, example):
    return f"{option}: {rule} (for example: {example})"


def check_text(answers):
    problems = []
    for option in ("project_name", "description", "author_name"):
        value = str(answers.get(option, ""))
        if option != "description" and not value.strip():
            problems.append(problem(option, "must not be empty", "My Composable App"))
        if len(value) > TEXT_MAX_LENGTH:
            problems.append(problem(option, f"must be at most {TEXT_MAX_LENGTH} characters", "My Composable App"))
        if any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F for c in value):
            problems.append(problem(option, "must be one line without control characters", "My Composable App"))
    return problems


def check_dns_label(option, value, example):
    value = str(value)
    if len(value) > SLUG_MAX_LENGTH:
        return [problem(option, f"must be at most {SLUG_MAX_LENGTH} characters, got {len(value)}", example)]
    if not SLUG_PATTERN.match(value):
        return [problem(
            option,
            "must start with a lowercase letter and hold only lowercase letters, digits and dashes, "
            f"not ending in a dash; got {value!r}",
            example,
        )]
    return []


def check_names(answers):
    problems = check_dns_label("project_slug", answers.get("project_slug", ""), "my-composable-app")
    problems += check_dns_label("fly_app_name", answers.get("fly_app_name", ""), "my-composable-app")
    if answers.get("backend") == "rust":
        problems += check_dns_label("fly_api_app_name", answers.get("fly_api_app_name", ""), "my-composable-app-api")
        if answers.get("fly_api_app_name") == answers.get("fly_app_name"):
            problems.append(problem("fly_api_app_name", "must differ from fly_app_name", f"{answers.get('fly_app_name')}-api"))
    return problems


def check_email(answers):
    email = str(answers.get("author_email", ""))
    if not EMAIL_PATTERN.match(email):
        return [problem("author_email", f"must be an email address, got {email!r}", "you@example.com")]
    return []


def check_fly(answers):
    problems = []
    region = answers.get("fly_region")
    if region not in FLY_REGIONS:
        problems.append(problem(
            "fly_region", f"must be a Fly.io region code ({' '.join(sorted(FLY_REGIONS))}); got {region!r}", "sjc"))
    memory = str(answers.get("fly_vm_memory", ""))
    if not MEMORY_PATTERN.match(memory):
        problems.append(problem("fly_vm_memory", f"must be a size in mb or gb; got {memory!r}", "512mb"))
    machines = str(answers.get("min_machines_running", ""))
    if not (machines.isdigit() and int(machines) <= 100):
        problems.append(problem("min_machines_running", f"must be a whole number from 0 to 100; got {machines!r}", "0"))
    return problems


def check_combinations(answers):
    problems = []
    if answers.get("backend") == "rust" and answers.get("layout") != "monorepo":
        problems.append(problem(
            "backend", "rust needs layout=monorepo (a standalone app talks to an existing backend); "
            "set layout=monorepo or backend=none", "layout=monorepo backend=rust"))
    if answers.get("database") == "postgres" and answers.get("backend") != "rust":
        problems.append(problem(
            "database", "postgres needs backend=rust (the web app has no database of its own); "
            "set backend=rust with layout=monorepo, or database=none", "layout=monorepo backend=rust database=postgres"))
    if answers.get("multi_region") == "yes" and (answers.get("backend") != "rust" or answers.get("database") != "postgres"):
        problems.append(problem(
            "multi_region", "yes needs backend=rust and database=postgres (the API replays writes to the region "
            "of the writable database); set layout=monorepo backend=rust database=postgres, or multi_region=no",
            "layout=monorepo backend=rust database=postgres multi_region=yes"))
    if answers.get("auth") == "password" and (answers.get("backend") != "rust" or answers.get("database") != "postgres"):
        problems.append(problem(
            "auth", "password needs backend=rust and database=postgres (the API keeps accounts and sessions "
            "in PostgreSQL); set layout=monorepo backend=rust database=postgres, or auth=none",
            "layout=monorepo backend=rust database=postgres auth=password"))
    if answers.get("deploy_on_push") == "yes" and answers.get("ci") != "github-actions":
        problems.append(problem(
            "deploy_on_push", "yes needs ci=github-actions (the deploy runs after CI); "
            "set ci=github-actions or deploy_on_push=no", "ci=github-actions deploy_on_push=yes"))
    if answers.get("template_check") == "yes" and answers.get("ci") != "github-actions":
        problems.append(problem(
            "template_check", "yes needs ci=github-actions (the check is a CI job); "
            "set ci=github-actions or template_check=no", "ci=github-actions template_check=yes"))
    if answers.get("preview_apps") == "yes" and answers.get("ci") != "github-actions":
        problems.append(problem(
            "preview_apps", "yes needs ci=github-actions (a workflow deploys and destroys the previews); "
            "set ci=github-actions or preview_apps=no", "ci=github-actions preview_apps=yes"))
    return problems


# Choice answers are not checked here: cookiecutter refuses a value that is not in the list.
RULES = (check_text, check_names, check_email, check_fly, check_combinations)


def validate(answers):
    """Every problem with these answers, one message each; empty when they are valid."""
    return [message for rule in RULES for message in rule(answers)]


def report(problems):
    """The refusal as the user reads it: a count, then one line per problem."""
    return "\n".join([f"Invalid answers ({len(problems)}); nothing was generated:",
                      *(f"  - {message}" for message in problems)])


def main(answers):
    problems = validate(answers)
    if not problems:
        return 0
    print(report(problems), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(json.loads({{ cookiecutter | jsonify | tojson }})))
