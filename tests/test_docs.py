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

import fcntl
import json
import os
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
import yaml

import dockerfile_model as df
from answers import CHOICES, default_answers
from conftest import TEMPLATE_DIR, bake
from generated import project_files
from hook_modules import post_gen
from matrix import MATRIX, combination_id, pairwise_cover

DATA = Path(__file__).parent / "data"
FLYCTL = json.loads((DATA / "flyctl-commands.json").read_text(encoding="utf-8"))
ABSENT_WORDS = tomllib.loads((DATA / "absent-words.toml").read_text(encoding="utf-8"))

# node_version and license change a version number and a licence name, never what exists.
SHAPE = ("layout", "backend", "database")
DOC_OPTIONS = [option for option in CHOICES if option not in (*SHAPE, "node_version", "license")] + ["shape"]
BAKES = [{k: v for k, v in combination.items() if k != "shape"} for combination in pairwise_cover(
    [c | {"shape": "/".join(c[option] for option in SHAPE)} for c in MATRIX], DOC_OPTIONS)]

# Paths a doc may name before they exist: a documented command creates them.
CREATED = {".env", "pnpm-lock.yaml", "package-lock.json", "dist", "node_modules", "target", ".cruft.json",
           ".services"}
ENV_NAME = r"[A-Z][A-Z0-9_]*"


def set_by_fly(name: str) -> bool:
    """Fly sets these on every Machine (FLY_APP_NAME, FLY_REGION...; PRIMARY_REGION from fly.toml):
    the README documents them, `.env.example` does not fake them."""
    return name.startswith("FLY_") or name == "PRIMARY_REGION"


# --- the bakes ------------------------------------------------------------------------------

@dataclass
class Project:
    answers: dict
    root: Path

    @property
    def web(self) -> Path:
        return self.root / "apps" / "web" if self.answers["layout"] == "monorepo" else self.root

    @property
    def api(self) -> Path | None:
        return self.root / "apps" / "api" if (self.root / "apps" / "api").is_dir() else None

    def markdown_docs(self) -> list["Doc"]:
        paths = [self.root / "README.md", *sorted((self.root / "docs").glob("*.md"))]
        if (self.root / "apps").is_dir():
            paths += sorted(p for p in (self.root / "apps").rglob("README.md") if "node_modules" not in p.parts)
        # README.md and docs/ speak from the repository root; an app's README from its own folder.
        return [Doc(path, self.root, self.root if path.parent in (self.root, self.root / "docs") else path.parent)
                for path in paths]


@pytest.fixture(scope="session", params=BAKES, ids=[combination_id(c) for c in BAKES])
def project(request, tmp_path_factory) -> Project:
    """One bake per combination for the whole run: xdist workers each have a session of their
    own, so the first to get here bakes under a lock and the other reads the same files."""
    answers = request.param
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent
    folder = shared / "docs-bakes" / combination_id(answers)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".baked").exists():
            bake(folder / "out", **answers)
            (folder / ".baked").touch()
    (root,) = (folder / "out").iterdir()
    return Project(default_answers(**answers), root)


# --- reading Markdown ------------------------------------------------------------------------

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
SHELL_LANGS = {"sh", "bash", "shell", "console"}
COMMAND_START = re.compile(r"^\(?(?:cd |fly |flyctl |npm |pnpm |cargo |[A-Z_]+=\S* )")


class Doc:
    """A Markdown file: its fenced blocks, its prose (blocks blanked out), spans and links."""

    def __init__(self, path: Path, root: Path, base: Path):
        self.path, self.root, self.base = path, root, base
        self.text = path.read_text(encoding="utf-8")
        self.name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name

    @cached_property
    def blocks(self) -> list[tuple[str, str]]:
        found = []
        for match in FENCE.finditer(self.text):
            indent = len(match["indent"])
            body = "\n".join(line[indent:] for line in match["body"].splitlines())
            found.append((match["lang"], body))
        return found

    @cached_property
    def prose(self) -> str:
        return FENCE.sub(lambda m: "\n" * m[0].count("\n"), self.text)

    @cached_property
    def spans(self) -> list[str]:
        return SPAN.findall(self.prose)

    def shell_snippets(self):
        """Every shell command line the doc gives: fenced shell blocks and inline command spans."""
        for lang, body in self.blocks:
            if lang in SHELL_LANGS:
                yield body
        for span in self.spans:
            if COMMAND_START.match(span):
                yield span

    def named_paths(self):
        """(path, base) of every path the doc names: backticked ones, and the first word of the
        lines of an unlabelled block (a file tree)."""
        for span in self.spans:
            if looks_like_path(span):
                yield span, self.base
        for lang, body in self.blocks:
            if lang == "":
                for line in body.splitlines():
                    word = line.split(maxsplit=1)[0] if line.strip() else ""
                    if looks_like_path(word):
                        yield word, self.base


FILE_SUFFIX = re.compile(r"\.(md|json|ya?ml|toml|ts|js|rs|sql|lock|svelte|example|sh|py|txt)$")
NOT_IN_A_PATH = set(" <>{}$*…=:@'\"|,;()[]!?")


PLACEHOLDER = re.compile(r"NNNN|XXXX")
IMAGE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+/")  # registry host first: gcr.io/distroless/...


def looks_like_path(text: str) -> bool:
    if (not text or NOT_IN_A_PATH & set(text) or text.startswith(("/", "-", "~", "http", "#"))
            or PLACEHOLDER.search(text) or IMAGE.match(text)):
        return False
    return "/" in text or bool(FILE_SUFFIX.search(text)) or text in ("Dockerfile", "LICENSE", ".env", ".nvmrc",
                                                                      ".dockerignore", ".gitignore")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m[1]) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def created(path: str) -> bool:
    return any(part in CREATED for part in Path(path).parts)


# --- reading shell ---------------------------------------------------------------------------

def shell_commands(script: str, cwd: Path):
    """(directory, argv) of each simple command of a shell snippet, following `cd` and `( )`.
    Leading `NAME=value` assignments are dropped; `$( )` opens a command of its own."""
    script = re.sub(r"\\\n", " ", script)
    stack = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars="();|&")
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError as error:
            raise AssertionError(f"cannot read this shell line ({error}): {line}") from None
        argv = []
        for token in [*tokens, ";"]:
            if token and set(token) <= set("();|&"):
                while argv and re.match(rf"{ENV_NAME}=", argv[0]):
                    argv = argv[1:]
                if argv[:1] == ["cd"] and len(argv) > 1:
                    cwd = cwd / argv[1]
                elif argv:
                    yield cwd, argv
                argv = []
                for char in token:
                    if char == "(":
                        stack.append(cwd)
                    elif char == ")" and stack:
                        cwd = stack.pop()
            else:
                argv.append(token)


def workflow_commands(project: Project):
    """(directory, argv, where) of every command of the workflows' run steps."""
    for path in sorted((project.root / ".github" / "workflows").glob("*.yml")):
        workflow = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        for job_name, job in workflow.get("jobs", {}).items():
            job_dir = job.get("defaults", {}).get("run", {}).get("working-directory", ".")
            for step in job.get("steps", []):
                if "run" in step:
                    cwd = project.root / step.get("working-directory", job_dir)
                    for directory, argv in shell_commands(step["run"], cwd):
                        yield directory, argv, f"{path.name} job {job_name}"


def script_commands(project: Project):
    """The workflows' helper scripts run from the checkout root."""
    for path in sorted((project.root / ".github" / "scripts").glob("*.sh")):
        body = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith("#"))
        for directory, argv in shell_commands(body, project.root):
            yield directory, argv, path.relative_to(project.root).as_posix()


def next_steps_commands(project: Project):
    """What the post-generation hook tells the user to run, from the folder holding the project."""
    steps = "\n".join(line.strip() for line in post_gen.next_steps(project.answers).splitlines())
    for directory, argv in shell_commands(steps, project.root.parent):
        yield directory, argv, "the post-generation hook's next steps"


def doc_commands(project: Project):
    for doc in project.markdown_docs():
        for snippet in doc.shell_snippets():
            for directory, argv in shell_commands(snippet, doc.base):
                yield directory, argv, doc.name


def every_command(project: Project):
    yield from doc_commands(project)
    yield from next_steps_commands(project)
    if (project.root / ".github" / "workflows").is_dir():
        yield from workflow_commands(project)
        yield from script_commands(project)


# --- npm, pnpm, cargo ------------------------------------------------------------------------

PNPM_BUILTINS = {"add", "audit", "config", "create", "dlx", "exec", "i", "install", "init", "link", "list", "ls",
                 "outdated", "prune", "rebuild", "remove", "rm", "store", "up", "update", "why"}
NPM_BUILTINS = {"audit", "ci", "config", "exec", "i", "init", "install", "link", "list", "ls", "outdated",
                "prune", "rebuild", "uninstall", "update"}
SCRIPT_COMMANDS = {"start", "test", "t", "stop", "restart"}


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def nearest(cwd: Path, name: str, root: Path) -> Path | None:
    for folder in (cwd, *cwd.parents):
        if (folder / name).is_file():
            return folder / name
        if folder == root:
            return None
    return None


def workspace_packages(root: Path) -> dict[str, Path]:
    """name -> folder of each workspace package (pnpm-workspace.yaml or package.json workspaces)."""
    if (root / "pnpm-workspace.yaml").is_file():
        patterns = yaml.safe_load((root / "pnpm-workspace.yaml").read_text())["packages"]
    else:
        patterns = read_json(root / "package.json").get("workspaces", [])
    folders = {folder for pattern in patterns for folder in root.glob(pattern) if (folder / "package.json").is_file()}
    return {read_json(folder / "package.json")["name"]: folder for folder in folders}


def scripts_of(folder: Path) -> dict:
    return read_json(folder / "package.json").get("scripts", {})


def package_manager_problems(project: Project, cwd: Path, argv: list[str]) -> list[str]:
    tool, args = argv[0], argv[1:]
    selected, every_package, words = None, False, []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--filter", "-F", "--workspace", "-w"):
            selected, i = args[i + 1], i + 2
            continue
        if arg.startswith(("--filter=", "--workspace=")):
            selected = arg.split("=", 1)[1]
        elif arg in ("-r", "--recursive", "--workspaces", "-ws"):
            every_package = True
        elif arg in ("-g", "--global"):
            return []  # a tool installed for the whole machine
        elif not arg.startswith("-"):
            words.append(arg)
        i += 1
    manifest = nearest(cwd, "package.json", project.root)
    if manifest is None:
        return [f"no package.json in {cwd} or above"]
    command = words[0] if words else "install"
    builtins = PNPM_BUILTINS if tool == "pnpm" else NPM_BUILTINS
    if command in builtins:
        return []
    if command in ("run", "run-script"):
        if len(words) < 2:
            return []
        script = words[1]
    elif command in SCRIPT_COMMANDS or tool == "pnpm":
        script = command  # pnpm runs a script by its bare name
    else:
        return [f"`{tool} {command}` is neither a {tool} command this test knows nor a script"]
    if selected is not None:
        packages = workspace_packages(manifest.parent)
        folder = packages.get(selected) or next((f for f in packages.values()
                                                 if f == (manifest.parent / selected).resolve()), None)
        if folder is None:
            return [f"no workspace package {selected!r} (there are {sorted(packages)})"]
        folders = [folder]
    elif every_package:
        folders = list(workspace_packages(manifest.parent).values())
        return [] if any(script in scripts_of(f) for f in folders) else [f"no workspace package has a {script!r} script"]
    else:
        folders = [manifest.parent]
    return [f"{f.relative_to(project.root.parent)}/package.json has no {script!r} script"
            for f in folders if script not in scripts_of(f)]


def cfg_gates(source: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, feature, negated) of each item under `#[cfg(feature = ...)]` in Rust source:
    from the attribute to the end of the item (its closing brace, or `;`/`,` for a field)."""
    gates = []
    for match in re.finditer(r'#\[cfg\((not\()?feature = "([\w-]+)"\)?\)\]', source):
        depth, i, quoted = 0, match.end(), False
        while i < len(source):
            char = source[i]
            if quoted:
                if char == "\\":
                    i += 1
                elif char == '"':
                    quoted = False
            elif char == '"':
                quoted = True
            elif char in "{([":
                depth += 1
            elif char in "})]":
                depth -= 1
                if depth == 0 and char == "}" or depth < 0:
                    break
            elif char in ";," and depth == 0:
                break
            i += 1
        gates.append((match.start(), i + 1, match[2], bool(match[1])))
    return gates


def compiled_in(source: str, position: int, features: set[str]) -> bool:
    return all((feature in features) != negated for start, end, feature, negated in cfg_gates(source)
               if start <= position < end)


def cargo_features(manifest: Path) -> tuple[set[str], set[str]]:
    """(every feature, the default ones) of a Cargo.toml."""
    features = tomllib.loads(manifest.read_text(encoding="utf-8")).get("features", {})
    return set(features) - {"default"}, set(features.get("default", []))


def api_subcommands(manifest: Path, features: set[str]) -> set[str]:
    """The words `api <word>` accepts when built with `features`: the variants of main.rs's clap
    `enum Command` in kebab case, and clap's own `help`."""
    cargo = tomllib.loads(manifest.read_text(encoding="utf-8"))
    main = manifest.parent / cargo.get("bin", [{}])[0].get("path", "src/main.rs")
    source = main.read_text(encoding="utf-8")
    start = source.index("enum Command {")
    body = source[start:source.index("\n}", start)]
    variants = (m for m in re.finditer(r"^    ([A-Z]\w*),$", body, re.M) if compiled_in(source, start + m.start(), features))
    return {re.sub(r"(?<!^)([A-Z])", r"-\1", m[1]).lower() for m in variants} | {"help"}


def cargo_problems(project: Project, cwd: Path, argv: list[str]) -> list[str]:
    args = [a for a in argv[1:] if not a.startswith("+")]
    if not args or args[0] in ("install", "chef") or args[0].startswith("-"):
        return []
    own, passed = (args[1:args.index("--")], args[args.index("--") + 1:]) if "--" in args else (args[1:], [])
    manifest, wanted, defaults_on = None, set(), True
    for i, arg in enumerate(own):
        value = own[i + 1] if i + 1 < len(own) else ""
        if arg == "--manifest-path":
            manifest = cwd / value
        elif arg in ("--features", "-F"):
            wanted |= set(re.split(r"[ ,]+", value))
        elif arg.startswith("--features="):
            wanted |= set(re.split(r"[ ,]+", arg.split("=", 1)[1]))
        elif arg == "--no-default-features":
            defaults_on = False
    manifest = manifest or nearest(cwd, "Cargo.toml", project.root)
    if manifest is None or not manifest.is_file():
        return [f"no Cargo.toml for `cargo {args[0]}` run in {cwd.relative_to(project.root.parent)}"]
    every, defaults = cargo_features(manifest)
    problems = [f"no Cargo feature {name!r} in {manifest.relative_to(project.root)}" for name in wanted - every]
    enabled = every if "--all-features" in own else wanted | (defaults if defaults_on else set())
    if args[0] == "run" and passed and not passed[0].startswith("-"):
        available = api_subcommands(manifest, enabled)
        if passed[0] not in available:
            problems.append(f"`{passed[0]}` is not a subcommand of the API built with features {sorted(enabled)}"
                            f" (it has {sorted(available)})")
    return problems


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
    for doc in project.markdown_docs():
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

def web_reads(project: Project) -> set[str]:
    config = (project.web / "src" / "server" / "config.ts").read_text(encoding="utf-8")
    return set(re.findall(rf"env, '({ENV_NAME})'", config)) | set(re.findall(rf"env\.({ENV_NAME})", config))


def api_reads(project: Project) -> set[str]:
    """What the README's table says the API reads. The slow tier (test_api_e2e.py) checks that
    list, config.rs's table and .env.example against what the built `api --help` declares."""
    if project.api is None:
        return set()
    return {name for name, labels in readme_configuration(project).items() if "API" in labels}


def process_env_reads(paths) -> set[str]:
    return {name for path in paths for name in re.findall(rf"process\.env\.({ENV_NAME})", path.read_text(encoding="utf-8"))}


def compose_reads(project: Project) -> set[str]:
    return set(re.findall(rf"\$\{{({ENV_NAME})", (project.root / "docker-compose.yml").read_text(encoding="utf-8")))


def reads_by_label(project: Project) -> dict[str, set[str]]:
    """The README's configuration table names who reads a variable: these labels."""
    return {
        "web": web_reads(project) | process_env_reads((project.web / "build").glob("*.js")),
        "API": api_reads(project),
        "e2e": process_env_reads((project.web / "e2e").glob("*.js")),
        "compose": compose_reads(project),
    }


def env_example(project: Project) -> tuple[set[str], set[str]]:
    """(variables set, variables listed commented out with their default) in .env.example."""
    text = (project.root / ".env.example").read_text(encoding="utf-8")
    return (set(re.findall(rf"^({ENV_NAME})=", text, re.M)), set(re.findall(rf"^# ({ENV_NAME})=", text, re.M)))


def readme_configuration(project: Project) -> dict[str, set[str]]:
    """variable -> labels of the apps that read it, from the README's configuration table."""
    readme = (project.root / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Configuration\n(.*?)(?=^## )", readme, re.M | re.S)
    assert section, "README.md has no Configuration section"
    table = {}
    for row in re.findall(r"^\|(.+)\|$", section[1], re.M):
        cells = [cell.strip() for cell in row.split("|")]
        for name in re.findall(rf"`({ENV_NAME})`", cells[0]):
            table.setdefault(name, set()).update(label.strip() for label in cells[1].split(","))
    return table


def test_every_variable_an_app_reads_is_in_env_example_and_the_readme(project):
    labels = reads_by_label(project)
    app_reads = labels["web"] | labels["API"]
    set_in_example, commented = env_example(project)
    documented = readme_configuration(project)
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
    for name, readers in readme_configuration(project).items():
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


def compose_environments(project: Project) -> dict[str, set[str]]:
    """service -> the variables docker compose hands its container, as `docker compose config`
    resolves them (env_file entries included) with .env.example as the .env."""
    result = subprocess.run(["docker-compose", "--env-file", ".env.example", "config", "--format", "json"],
                            cwd=project.root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    return {name: set(service.get("environment") or {}) for name, service in services.items()}


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

COMMANDS = FLYCTL["commands"]
CHILDREN = {}
for _path, _command in COMMANDS.items():
    if _path:
        _parent, _, _name = _path.rpartition(" ")
        for _word in [_name, *_command.get("aliases", [])]:
            CHILDREN.setdefault(_parent, {})[_word] = _path


def flag_type(spec: str) -> str:
    words = spec.split()
    return words[1] if words[0].startswith("-") else words[0]


def fly_problems(cwd: Path, argv: list[str]) -> list[str]:
    args, path, i = argv[1:], "", 0
    while i < len(args) and args[i] in CHILDREN.get(path, {}):
        path, i = CHILDREN[path][args[i]], i + 1
    if not path:
        return ["not a flyctl command"]
    command = COMMANDS[path]
    words = path.split()
    problems = [f"`fly {' '.join(words[:n])}` is hidden" for n in range(1, len(words) + 1)
                if COMMANDS[" ".join(words[:n])].get("hidden")]
    if command.get("deprecated"):
        problems.append(f"`fly {path}` is deprecated")
    flags = FLYCTL["global_flags"] | command["flags"]
    shorthands = {spec.split()[0][1:]: name for name, spec in flags.items() if spec.startswith("-")}
    given = set()
    while i < len(args):
        arg, i = args[i], i + 1
        if arg == "--":
            break
        if arg.startswith("--"):
            name, inline = arg[2:].partition("=")[0], "=" in arg
        elif re.fullmatch(r"-[A-Za-z]", arg):
            name, inline = shorthands.get(arg[1:], arg), False
        else:
            continue  # an argument
        spec = flags.get(name)
        if spec is None:
            problems.append(f"`fly {path}` has no flag {arg}")
            continue
        problems += [f"flag {arg} of `fly {path}` is {state}" for state in ("hidden", "deprecated") if state in spec.split()]
        given.add(name)
        if flag_type(spec) != "bool" and not inline:
            i += 1
    if "app" in command["flags"] and not given & {"app", "config"} and not (cwd / "fly.toml").is_file():
        problems.append(f"`fly {path}` acts on an app and {cwd.name}/ has no fly.toml: pass --app (or --config)")
    return problems


def test_every_fly_command_and_flag_exists_unhidden_in_the_pinned_flyctl_with_its_app(project):
    problems = [f"{where}: `{shlex.join(argv)}`: {problem}" for directory, argv, where in every_command(project)
                if argv[0] in ("fly", "flyctl") for problem in fly_problems(directory, argv)]
    assert not problems, "\n".join(problems)


def test_the_command_tree_is_of_the_flyctl_the_workflows_pin():
    workflows = sorted((TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / ".github" / "workflows").glob("*.yml"))
    pins = {path.name: pin for path in workflows for pin in re.findall(r"^\s*FLYCTL_VERSION: (\S+)", path.read_text(), re.M)}
    assert pins, "no workflow pins flyctl"
    assert set(pins.values()) == {FLYCTL["flyctl_version"].removeprefix("v")}, (
        f"workflows pin {pins}, tests/data/flyctl-commands.json is {FLYCTL['flyctl_version']}: regenerate it"
        " (template README, 'Bumping flyctl')")


def test_the_command_tree_knows_the_commands_the_checks_rely_on():
    """The data itself: a broken regeneration (an empty tree, hidden flags lost) fails here."""
    assert len(COMMANDS) > 300
    assert COMMANDS["metrics"].get("hidden") and not COMMANDS["dashboard metrics"].get("hidden")
    assert flag_type(COMMANDS["deploy"]["flags"]["app"]) == "string" and "app" not in COMMANDS["apps restart"]["flags"]
    assert "pg-major-version" in COMMANDS["mpg create"]["flags"]
    assert "help" in FLYCTL["global_flags"] and "help" not in COMMANDS


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

NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
FIGURE = re.compile(rf"(?<![\w.]){NUMBER}(?:\s*(?:-|–|to)\s*{NUMBER})?\s?(?:bytes|[kKMG]i?B|ms|µs|us|req/s)(?![\w/])")
BENCH = re.compile(r"<!-- BEGIN bench table\b.*?<!-- END bench table -->", re.S)
DATE = re.compile(r"\b20\d\d-\d\d-\d\d(?!\d)")


def text_blocks(text: str) -> list[str]:
    """Paragraphs and tables, a table together with the paragraph before it (its caption), and the
    bench table's marked block as one."""
    marked = BENCH.findall(text)
    parts = re.split(r"\n[ \t]*\n", BENCH.sub("\0BENCH\0", text))
    blocks = []
    for part in parts:
        part = part.replace("\0BENCH\0", marked.pop(0)) if "\0BENCH\0" in part else part
        starts_table = part.lstrip().startswith(("|", "<!-- BEGIN bench"))
        blocks.append((blocks[-1] + "\n\n" if starts_table and blocks else "") + part)
    return blocks


def unlabelled_figures(text: str) -> list[str]:
    found = []
    for block in text_blocks(text):
        labelled = "bench/run.py" in block and DATE.search(block)
        found += [] if labelled else [m[0] for m in FIGURE.finditer(SPAN.sub("``", block))]
    return found


def figure_files(project: Project) -> list[Path]:
    return [doc.path for doc in project.markdown_docs()] + sorted(project.root.rglob("Dockerfile"))


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


HEADING = re.compile(r"^#{1,6} .*$", re.M)


def sections(text: str) -> list[str]:
    """The doc cut at every heading (code blocks first blanked, so `# comments` are no headings)."""
    blanked = FENCE.sub(lambda m: "\0" * len(m[0]), text)
    starts = [0] + [m.start() for m in HEADING.finditer(blanked)] + [len(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:]) if text[a:b].strip()]


def fly_command_path(argv: list[str]) -> str:
    path, i = "", 1
    while i < len(argv) and argv[i] in CHILDREN.get(path, {}):
        path, i = CHILDREN[path][argv[i]], i + 1
    return path


def section_fly_commands(section: str, base: Path) -> list[str]:
    """flyctl command paths (`mpg create`, `postgres attach`...) the section runs, in blocks or spans."""
    snippets = [m["body"] for m in FENCE.finditer(section) if m["lang"] in SHELL_LANGS]
    snippets += [span for span in SPAN.findall(FENCE.sub("", section)) if COMMAND_START.match(span)]
    return [path for snippet in snippets for _, argv in shell_commands(snippet, base)
            if argv[0] in ("fly", "flyctl") and (path := fly_command_path(argv))]


FLY_FLAGS = {name for command in COMMANDS.values() for name in command["flags"]} - set(FLYCTL["global_flags"])


def test_every_fly_flag_the_prose_names_belongs_to_a_command_the_project_runs(project):
    """`--pg-major-version 17` beside `fly pg create`, which has no such flag, is a false instruction:
    a flag named on its own must be one of a fly command the docs or workflows run (per the tree)."""
    flags = {name for _, argv, _ in every_command(project) if argv[0] in ("fly", "flyctl")
             for name in COMMANDS[fly_command_path(argv)]["flags"] if fly_command_path(argv)}
    problems = [f"{doc.name}: `{span}` is a flag of no fly command the project runs"
                for doc in project.markdown_docs() for span in doc.spans
                if (named := re.match(r"--([a-z][a-z0-9-]*)", span)) and named[1] in FLY_FLAGS and named[1] not in flags]
    assert not problems, "\n".join(problems)


# A paragraph about one database product must sit where that product is the one set up.
PRODUCTS = {"Managed Postgres": "mpg", "Fly Postgres": "postgres"}


def test_each_paragraph_about_a_database_product_is_in_the_variant_that_uses_it(project):
    problems = []
    for doc in project.markdown_docs():
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


def text_blocks_of(path: Path) -> list[str]:
    """Paragraphs, list items and table rows of Markdown; comment blocks of a fly.toml."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return re.findall(r"(?:^[ \t]*#.*\n?)+", text, re.M)
    return re.split(r"\n[ \t]*\n|\n(?=\s*\|)|\n(?=\s*- )|\n(?=\s*\d+\. )", FENCE.sub("", text))


REPLAY_CLAIM = re.compile(r"fly-replay|\breplays (it|them|such|the|a|requests)\b|\b(is|are|be)\s+replayed\b", re.I)


def test_every_mention_of_fly_replay_says_it_is_unverified_over_flycast(project):
    """Fly documents `fly-replay` for requests from the internet; the web app calls the API over
    Flycast, for which nothing is documented: no doc may present the replay as working."""
    paths = [doc.path for doc in project.markdown_docs()] + sorted(project.root.rglob("fly.toml"))
    problems = [f"{path.relative_to(project.root)}: {' '.join(block.split())[:140]}"
                for path in paths for block in text_blocks_of(path)
                if REPLAY_CLAIM.search(block) and "unverified" not in block.lower()]
    assert not problems, "\n".join(problems)


IMAGE_REFERENCE = re.compile(r"^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)+/[a-z0-9./_-]+(?::[\w.-]+)?|(?:node|rust|postgres|redis):\d[\w.-]*)$")


def image_references(project: Project) -> list[tuple[str, str]]:
    """(reference, where) of every image the Dockerfiles, the compose file, the workflows' service
    containers and the docs name."""
    found = []
    for dockerfile in sorted(project.root.rglob("Dockerfile")):
        stages = set()
        for stage in df.read_stages(dockerfile):
            if stage.image not in stages:
                found.append((stage.image, str(dockerfile.relative_to(project.root))))
            stages.add(stage.name)
    compose = yaml.safe_load((project.root / "docker-compose.yml").read_text(encoding="utf-8"))
    found += [(service["image"], "docker-compose.yml") for service in compose["services"].values() if "image" in service]
    for path in sorted((project.root / ".github" / "workflows").glob("*.yml")):
        for name, job in (yaml.safe_load(path.read_text(encoding="utf-8")).get("jobs") or {}).items():
            containers = [*(job.get("services") or {}).values(), job.get("container")]
            found += [(c if isinstance(c, str) else c["image"], f"{path.name} job {name}") for c in containers if c]
    for doc in project.markdown_docs():
        found += [(span, doc.name) for span in doc.spans if IMAGE_REFERENCE.match(span) and (":" in span or "/" in span)]
    return found


def image_exists(reference: str, node: str) -> bool:
    repository, _, tag = reference.partition(":")
    for name, entry in IMAGES.items():
        if repository == name.replace("{node}", node):
            return re.fullmatch(entry["tags"].replace("{node}", node), tag) is not None
    return False


def test_every_image_named_exists_for_the_bakes_node_version(project):
    node = project.answers["node_version"]
    references = image_references(project)
    problems = [f"{where}: {reference} is not an image that exists (tests/data/images.toml)"
                for reference, where in references if not image_exists(reference, node)]
    assert any("Dockerfile" in where for _, where in references)
    assert not problems, "\n".join(problems)


def test_image_list_refuses_what_does_not_exist():
    """The data itself: the distroless Node image that was once documented does not exist."""
    assert image_exists("gcr.io/distroless/nodejs26-debian13", "26") and image_exists("node:22-bookworm-slim", "22")
    assert not image_exists("gcr.io/distroless/nodejs26-debian12", "26")
    assert not image_exists("node:26-buster", "26")


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
