"""Fast tier: the generated docs are true for the project they are in.

Users follow the README and docs/ line by line. Each property below is checked on a pairwise
cover of the bake matrix in which layout, backend and database count as one answer (together
they decide which apps exist, so each such shape meets every value of every other answer):

- every relative link (and its anchor) and every path a doc names exists, relative to where the
  doc says; paths that a documented command creates are one short list (CREATED);
- every npm, pnpm and cargo command names a script, workspace package, Cargo feature or API
  subcommand that exists where the doc runs it;
- the environment variables the apps read (found in their config modules) are the ones
  `.env.example` and the README's configuration table document;
- every fly command and flag, in the docs, the workflows and their scripts, exists in the pinned
  flyctl and is not hidden (tests/data/flyctl-commands.json, made by scripts/flyctl-tree/), and a
  command that acts on an app names it wherever no fly.toml is at hand;
- nothing mentions what the answers switched off (tests/data/absent-words.toml);
- every measured figure says how it was measured: `bench/run.py` and a date next to it.
"""

import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

from harness.answers import CHOICES, answers_id
from harness.bake import bake
from harness.cargo_commands import cargo_problems
from harness.env_docs import (api_reads, compose_environments, env_example, readme_configuration, reads_by_label,
                              set_by_fly, web_reads)
from harness.figures import BENCH, unlabelled_figures
from harness.flyctl import FlyctlTree, flag_type
from harness.generated import project_files
from harness.images import image_exists, image_references
from harness.markdown import (COMMAND_START, FENCE, LINK, SHELL_LANGS, SPAN, Doc, anchors, markdown_docs, sections,
                              text_blocks_of)
from harness.matrix import MATRIX, pairwise_cover
from harness.npm_commands import package_manager_problems, scripts_of
from harness.paths import TEMPLATE_DIR
from harness.project import Project
from harness.project_commands import every_command
from harness.shell import ENV_NAME, shell_commands

DATA = Path(__file__).parent / "data"
FLYCTL = FlyctlTree(json.loads((DATA / "flyctl-commands.json").read_text(encoding="utf-8")))
COMMANDS = FLYCTL.commands
ABSENT_WORDS = tomllib.loads((DATA / "absent-words.toml").read_text(encoding="utf-8"))

# node_version and license change a version number and a licence name, never what exists.
SHAPE = ("layout", "backend", "database")
DOC_OPTIONS = [option for option in CHOICES if option not in (*SHAPE, "node_version", "license")] + ["shape"]
BAKES = [{k: v for k, v in combination.items() if k != "shape"} for combination in pairwise_cover(
    [c | {"shape": "/".join(c[option] for option in SHAPE)} for c in MATRIX], DOC_OPTIONS)]

# Paths a doc may name before they exist: a documented command creates them.
CREATED = {".env", "pnpm-lock.yaml", "package-lock.json", "dist", "node_modules", "target", ".cruft.json",
           ".services"}


@pytest.fixture(scope="session", params=BAKES, ids=[answers_id(c) for c in BAKES])
def project(request, bakes) -> Project:
    return bakes(**request.param)


def created(path: str) -> bool:
    return any(part in CREATED for part in Path(path).parts)


# --- npm, pnpm, cargo ------------------------------------------------------------------------

def test_every_npm_pnpm_and_cargo_command_names_what_exists_where_it_runs(project):
    sources = list(every_command(project))
    # The root package.json's scripts delegate to the workspace: those commands count too.
    for manifest in [project.root / "package.json", *(project.root / "apps").glob("*/package.json")]:
        if manifest.is_file():
            for name, script in scripts_of(manifest.parent).items():
                for directory, argv in shell_commands(script, manifest.parent):
                    sources.append((directory, argv, f"{manifest.relative_to(project.root)} script {name}"))
    checks = {"npm": package_manager_problems, "pnpm": package_manager_problems, "cargo": cargo_problems}
    problems = [f"{where}: `{shlex.join(argv)}`: {problem}" for directory, argv, where in sources
                if argv[0] in checks for problem in checks[argv[0]](project, directory, argv)]
    assert not problems, "\n".join(problems)


# --- paths and links -------------------------------------------------------------------------

def env_example_paths(project: Project):
    for line in (project.root / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            for word in re.findall(r"(?<![\w:/.-])(?:\.?[\w-]+/)+[\w.-]*\w", line):
                yield word


def path_found(path: str, base: Path) -> bool:
    """A bare file name counts as found anywhere below `base`: it is named within the folder the
    sentence is about (`mod.rs` of `src/posts/`)."""
    return created(path) or (base / path).exists() or "/" not in path and any(base.rglob(path))


def test_every_path_and_link_a_doc_names_exists(project):
    problems = []
    for doc in markdown_docs(project):
        for path, base in doc.named_paths():
            if not path_found(path, base):
                problems.append(f"{doc.name}: `{path}` (from {base.relative_to(project.root.parent)}) does not exist")
        for target in LINK.findall(doc.prose):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            linked = (doc.path.parent / file) if file else doc.path
            if not linked.exists():
                problems.append(f"{doc.name}: link {target} leads nowhere")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                problems.append(f"{doc.name}: link {target}: no heading #{anchor} in {file or doc.name}")
    for path in env_example_paths(project):
        if not path_found(path, project.root):
            problems.append(f".env.example: {path} does not exist")
    assert not problems, "\n".join(problems)


def test_template_readme_names_only_paths_of_the_template_or_its_skeleton():
    readme = Doc(TEMPLATE_DIR / "README.md", TEMPLATE_DIR, TEMPLATE_DIR)
    skeleton = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
    missing = [path for path, base in readme.named_paths()
               if not path_found(path, TEMPLATE_DIR) and not path_found(path, skeleton)]
    assert not missing, missing


# --- environment variables -------------------------------------------------------------------

def test_every_variable_an_app_reads_is_in_env_example_and_the_readme(project):
    labels = reads_by_label(project)
    app_reads = labels["web"] | labels["API"]
    set_in_example, commented = env_example(project)
    documented = readme_configuration(project.root)
    problems = [f".env.example lacks {name} (set it, or list it as `# {name}=<default>`)"
                for name in sorted((app_reads | labels["compose"]) - set_in_example - commented) if not set_by_fly(name)]
    problems += [f".env.example fakes {name}, which Fly sets" for name in sorted(set_in_example | commented) if set_by_fly(name)]
    problems += [f"the README's configuration table lacks {name}"
                 for name in sorted((app_reads | labels["e2e"]) - documented.keys())]
    assert app_reads
    assert not problems, "\n".join(problems)


def test_every_documented_variable_is_read_by_what_the_doc_says_reads_it(project):
    labels = reads_by_label(project)
    every = set().union(*labels.values())
    set_in_example, commented = env_example(project)
    problems = [f".env.example lists {name}, which nothing reads" for name in sorted((set_in_example | commented) - every)]
    for name, readers in readme_configuration(project.root).items():
        for label in readers:
            if label not in labels:
                problems.append(f"README: {name} is read by {label!r}? (labels: {sorted(labels)})")
            elif name not in labels[label]:
                problems.append(f"README: {name} is not read by {label}")
    assert not problems, "\n".join(problems)


def test_each_config_module_documents_exactly_the_variables_it_reads(project):
    """config.ts documents each variable on its field: what a reader of the source sees must be
    what it reads. (config.rs's table is checked against `api --help` in test_api_e2e.py.)"""
    web = (project.web / "src" / "server" / "config.ts").read_text(encoding="utf-8")
    web_documented = set()
    for comment in re.findall(r"/\*\*[\s*]*(.*?)\*/", web, re.S):
        # Names with an underscore anywhere; single words (PORT, HOST) where a comment opens with them.
        web_documented |= set(re.findall(rf"\b({ENV_NAME}_[A-Z0-9_]+)\b", comment))
        web_documented |= set(re.findall(ENV_NAME, re.match(r"[A-Z, ]*(?=:)|", comment)[0]))
    problems = [f"config.ts reads {name} but documents it on no field" for name in sorted(web_reads(project) - web_documented)]
    problems += [f"config.ts documents {name}, which it does not read" for name in sorted(web_documented - web_reads(project))]
    assert not problems, "\n".join(problems)


# What an official image reads of its own (the postgres and redis images' documentation).
IMAGE_READS = {
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "POSTGRES_INITDB_ARGS",
                 "POSTGRES_INITDB_WALDIR", "POSTGRES_HOST_AUTH_METHOD", "PGDATA"},
    "redis": set(),
    "mailpit": set(),  # configured by its command-line flags in docker-compose.yml
}


def test_each_compose_service_receives_only_the_variables_it_reads(project):
    """A container holds only its own settings: the web app never the database password or the
    API's write token it does not read; and what .env sets for an app reaches it."""
    readers = {"web": web_reads(project), "api": api_reads(project), "migrate": api_reads(project)} | IMAGE_READS
    set_in_example, _ = env_example(project)
    problems = []
    for service, received in compose_environments(project).items():
        assert service in readers, f"docker-compose.yml: service {service} has no known reader of its settings"
        problems += [f"compose service {service} receives {name}, which it does not read"
                     for name in sorted(received - readers[service])]
        if service in ("web", "api"):
            problems += [f"compose service {service} reads {name}, set in .env.example, but does not receive it"
                         for name in sorted(readers[service] & set_in_example - received)]
    assert not problems, "\n".join(problems)


# --- flyctl ----------------------------------------------------------------------------------

def test_every_fly_command_and_flag_exists_unhidden_in_the_pinned_flyctl_with_its_app(project):
    problems = [f"{where}: `{shlex.join(argv)}`: {problem}" for directory, argv, where in every_command(project)
                if argv[0] in ("fly", "flyctl") for problem in FLYCTL.problems(directory, argv)]
    assert not problems, "\n".join(problems)


def test_the_command_tree_is_of_the_flyctl_the_workflows_pin():
    workflows = sorted((TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / ".github" / "workflows").glob("*.yml"))
    pins = {path.name: pin for path in workflows for pin in re.findall(r"^\s*FLYCTL_VERSION: (\S+)", path.read_text(), re.M)}
    assert pins, "no workflow pins flyctl"
    assert set(pins.values()) == {FLYCTL.version.removeprefix("v")}, (
        f"workflows pin {pins}, tests/data/flyctl-commands.json is {FLYCTL.version}: regenerate it"
        " (template README, 'Bumping flyctl')")


def test_the_command_tree_knows_the_commands_the_checks_rely_on():
    """The data itself: a broken regeneration (an empty tree, hidden flags lost) fails here."""
    assert len(COMMANDS) > 300
    assert COMMANDS["metrics"].get("hidden") and not COMMANDS["dashboard metrics"].get("hidden")
    assert flag_type(COMMANDS["deploy"]["flags"]["app"]) == "string" and "app" not in COMMANDS["apps restart"]["flags"]
    assert "pg-major-version" in COMMANDS["mpg create"]["flags"]
    assert "help" in FLYCTL.global_flags and "help" not in COMMANDS


def test_the_preview_workflows_premises_hold_in_the_pinned_flyctl():
    """preview.sh creates a database per pull request but drops it with SQL: flyctl has no command
    that deletes one. The commands it relies on, with the flags it passes (checked per bake above)."""
    databases = {path for path in COMMANDS if path.startswith("mpg databases ")}
    assert "mpg databases create" in databases and "name" in COMMANDS["mpg databases create"]["flags"]
    assert not {path for path in databases if path.split()[2] in ("delete", "destroy", "drop", "remove", "rm")}
    assert not any(alias in ("delete", "destroy", "drop", "rm") for path in databases
                   for alias in COMMANDS[path].get("aliases", []))
    assert {"app", "database"} <= set(COMMANDS["mpg attach"]["flags"]) and "mpg connect" in COMMANDS
    assert {"ha", "flycast", "env", "config", "app"} <= set(COMMANDS["deploy"]["flags"])
    assert "yes" in COMMANDS["apps destroy"]["flags"] and "org" in COMMANDS["apps create"]["flags"]
    assert "stage" in COMMANDS["secrets import"]["flags"] and "json" in COMMANDS["apps list"]["flags"]


# --- what the answers switched off -----------------------------------------------------------

def is_source(relative: str) -> bool:
    path = Path(relative)
    if path.suffix == ".js":
        return "e2e" not in path.parts  # the e2e test's comments document how to run it
    return path.suffix in (".ts", ".svelte", ".rs", ".sql", ".lock") or path.name == "tsconfig.json"


def absent_words(answers: dict):
    """(pattern, allowed path prefixes, rule) of every word the answers rule out."""
    for rule, entry in ABSENT_WORDS.items():
        option, value = rule.split("=", 1)
        assert option in CHOICES and value in CHOICES[option], f"absent-words.toml: unknown answer {rule}"
        if answers[option] == value:
            for word in entry["words"]:
                word = re.sub(r"\{(\w+)\}", lambda m: re.escape(answers[m[1]]), word)
                yield re.compile(rf"(?<![\w]){word}(?![\w])"), tuple(entry.get("allowed_in", ())), rule


def test_no_file_mentions_what_the_answers_switched_off(project):
    rules = list(absent_words(project.answers))
    problems = []
    for path in project_files(project.root):
        relative = path.relative_to(project.root).as_posix()
        if is_source(relative):
            continue
        # The bench table quotes the template's measurements of all its apps, the same in every bake.
        text = BENCH.sub(lambda m: "\n" * m[0].count("\n"), path.read_text(encoding="utf-8"))
        for number, line in enumerate(text.splitlines(), 1):
            for pattern, allowed_in, rule in rules:
                if not relative.startswith(allowed_in or ("\0",)) and (match := pattern.search(line)):
                    problems.append(f"{relative}:{number}: {match[0]!r} with {rule}: {line.strip()[:110]}")
    assert not problems, "\n".join(problems)


# --- figures ---------------------------------------------------------------------------------

def figure_files(project: Project) -> list[Path]:
    return [doc.path for doc in markdown_docs(project)] + sorted(project.root.rglob("Dockerfile"))


def test_every_figure_says_how_it_was_measured(project):
    problems = [f"{path.relative_to(project.root)}: {figure!r} names no bench/run.py run and date"
                for path in figure_files(project) for figure in unlabelled_figures(path.read_text(encoding="utf-8"))]
    problems += [f"{path.relative_to(project.root)} has {n} bench tables: keep one" for path in figure_files(project)
                 if (n := len(BENCH.findall(path.read_text(encoding="utf-8")))) > 1]
    assert not problems, "\n".join(problems)


def test_template_readme_figures_come_from_the_bench_table_the_generated_docs_quote(project):
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    assert unlabelled_figures(readme) == []
    optimization = (project.root / "docs" / "OPTIMIZATION.md").read_text(encoding="utf-8")
    assert BENCH.findall(readme) == BENCH.findall(optimization) != [], "one bench table, the same in both"


# --- claims once refuted, and the checks that keep them out ----------------------------------

REFUTED = tomllib.loads((DATA / "refuted-claims.toml").read_text(encoding="utf-8"))
IMAGES = tomllib.loads((DATA / "images.toml").read_text(encoding="utf-8"))


def refuted_claims_in(text: str, claims) -> list[str]:
    """Matches of each claim in the text read as prose: comment markers at line starts dropped,
    line breaks and runs of spaces made one space."""
    flat = re.sub(r"\s+", " ", re.sub(r"\n[ \t]*(#|//)[ \t]?", "\n", text))
    return [f"{match[0]!r} ({name}: {claim['why']})" for name, claim in claims
            if (match := re.search(claim["pattern"], flat, re.I))]


def test_no_generated_file_repeats_a_refuted_claim(project):
    problems = [f"{path.relative_to(project.root)}: {found}" for path in project_files(project.root)
                for found in refuted_claims_in(path.read_text(encoding="utf-8"), REFUTED.items())]
    assert not problems, "\n".join(problems)


def test_no_template_file_repeats_a_refuted_claim():
    problems = [f"{relative}: {found}" for name, claim in REFUTED.items() for relative in claim.get("template_files", [])
                for found in refuted_claims_in((TEMPLATE_DIR / relative).read_text(encoding="utf-8"), [(name, claim)])]
    assert not problems, "\n".join(problems)


def section_fly_commands(section: str, base: Path) -> list[str]:
    """flyctl command paths (`mpg create`, `postgres attach`...) the section runs, in blocks or spans."""
    snippets = [m["body"] for m in FENCE.finditer(section) if m["lang"] in SHELL_LANGS]
    snippets += [span for span in SPAN.findall(FENCE.sub("", section)) if COMMAND_START.match(span)]
    return [path for snippet in snippets for _, argv in shell_commands(snippet, base)
            if argv[0] in ("fly", "flyctl") and (path := FLYCTL.command_path(argv))]


FLY_FLAGS = {name for command in COMMANDS.values() for name in command["flags"]} - set(FLYCTL.global_flags)


def test_every_fly_flag_the_prose_names_belongs_to_a_command_the_project_runs(project):
    """`--pg-major-version 17` beside `fly pg create`, which has no such flag, is a false instruction:
    a flag named on its own must be one of a fly command the docs or workflows run (per the tree)."""
    flags = {name for _, argv, _ in every_command(project) if argv[0] in ("fly", "flyctl")
             for name in COMMANDS[FLYCTL.command_path(argv)]["flags"] if FLYCTL.command_path(argv)}
    problems = [f"{doc.name}: `{span}` is a flag of no fly command the project runs"
                for doc in markdown_docs(project) for span in doc.spans
                if (named := re.match(r"--([a-z][a-z0-9-]*)", span)) and named[1] in FLY_FLAGS and named[1] not in flags]
    assert not problems, "\n".join(problems)


# A paragraph about one database product must sit where that product is the one set up.
PRODUCTS = {"Managed Postgres": "mpg", "Fly Postgres": "postgres"}


def test_each_paragraph_about_a_database_product_is_in_the_variant_that_uses_it(project):
    problems = []
    for doc in markdown_docs(project):
        for section in sections(doc.text):
            groups = {path.split()[0] for path in section_fly_commands(section, doc.base)}
            used = {product for product, group in PRODUCTS.items() if group in groups}
            if not used:
                continue
            for paragraph in re.split(r"\n[ \t]*\n", FENCE.sub("", section)):
                named = {product for product in PRODUCTS if product in paragraph}
                if len(named) == 1 and not named & used:
                    problems.append(f"{doc.name}: a paragraph about {named.pop()} where {sorted(used)} is set up: "
                                    f"{' '.join(paragraph.split())[:120]}")
    assert not problems, "\n".join(problems)


REPLAY_CLAIM = re.compile(r"fly-replay|\breplays (it|them|such|the|a|requests)\b|\b(is|are|be)\s+replayed\b", re.I)


def test_every_mention_of_fly_replay_says_it_is_unverified_over_flycast(project):
    """Fly documents `fly-replay` for requests from the internet; the web app calls the API over
    Flycast, for which nothing is documented: no doc may present the replay as working."""
    paths = [doc.path for doc in markdown_docs(project)] + sorted(project.root.rglob("fly.toml"))
    problems = [f"{path.relative_to(project.root)}: {' '.join(block.split())[:140]}"
                for path in paths for block in text_blocks_of(path)
                if REPLAY_CLAIM.search(block) and "unverified" not in block.lower()]
    assert not problems, "\n".join(problems)


def test_every_image_named_exists_for_the_bakes_node_version(project):
    node = project.answers["node_version"]
    references = image_references(project)
    problems = [f"{where}: {reference} is not an image that exists (tests/data/images.toml)"
                for reference, where in references if not image_exists(reference, node, IMAGES)]
    assert any("Dockerfile" in where for _, where in references)
    assert not problems, "\n".join(problems)


def test_image_list_refuses_what_does_not_exist():
    """The data itself: the distroless Node image that was once documented does not exist."""
    assert image_exists("gcr.io/distroless/nodejs26-debian13", "26", IMAGES) and image_exists("node:22-bookworm-slim", "22", IMAGES)
    assert not image_exists("gcr.io/distroless/nodejs26-debian12", "26", IMAGES)
    assert not image_exists("node:26-buster", "26", IMAGES)


@pytest.mark.parametrize("answers", [
    {"layout": "monorepo", "backend": "rust", "database": "postgres", "ci": "github-actions"},
    {"ci": "github-actions"},
    {"ci": "none"},
], ids=["monorepo-rust", "standalone", "standalone-no-ci"])
def test_renaming_a_taken_app_lists_every_file_that_holds_its_name(tmp_path, answers):
    names = {"fly_app_name": "renamed-web-app"} | ({"fly_api_app_name": "renamed-api-app"} if "backend" in answers else {})
    root = bake(tmp_path, **answers, **names)
    guide = (root / "docs" / "DEPLOYMENT-GUIDE.md").read_text(encoding="utf-8")
    (paragraph,) = [p for p in re.split(r"\n[ \t]*\n", guide) if "If a name is taken" in p]
    named = set(SPAN.findall(paragraph))
    holding = {path.relative_to(root).as_posix() for path in project_files(root) if path.suffix != ".md"
               and any(re.search(rf"(?<![\w-]){name}(?![\w-])", path.read_text(encoding="utf-8")) for name in names.values())}
    assert holding, "the bake holds the app names somewhere"
    assert not holding - named, f"the guide's rename list misses {sorted(holding - named)}"
    options = re.search(r"--variables-to-update '(\{.*?\})'", paragraph)[1]
    assert set(re.findall(r'"(\w+)":', options)) == set(names)
    cruft_help = subprocess.run(["cruft", "update", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--variables-to-update" in cruft_help


def test_template_quick_start_installs_only_the_pinned_cookiecutter_first():
    readme = Doc(TEMPLATE_DIR / "README.md", TEMPLATE_DIR, TEMPLATE_DIR)
    quick = readme.text[readme.text.index("## Quick start"):readme.text.index("## Options")]
    first_block = FENCE.search(quick)["body"].splitlines()
    install = shlex.split(first_block[0].split("&&")[0])
    pins = dict(line.split("#")[0].strip().split("==") for line in
                (TEMPLATE_DIR / "requirements-test.txt").read_text().splitlines() if "==" in line)
    assert install == ["pip", "install", f"cookiecutter=={pins['cookiecutter']}"], install
    assert first_block[1].split("#")[0].split() == ["bash", "scripts/test.sh"]
    setup = (TEMPLATE_DIR / "scripts" / "setup.sh").read_text()
    assert "-r requirements-test.txt" in setup and "bash scripts/setup.sh" in (TEMPLATE_DIR / "scripts" / "test.sh").read_text()
