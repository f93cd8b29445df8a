"""Slow tier: every bake of the matrix passes its own `lint` (ESLint) and `format:check` (Prettier).

Each package with a `lint` script has its own configuration: the web app (the root in standalone,
apps/web in the monorepo) and packages/shared. The lint toolchain is installed ONCE, at the exact
versions the generated package.json files pin, into the suite's cache; each bake gets a
`node_modules` link to it at its root (ESLint's flat config and Prettier resolve their plugins from
the folder of the config upwards). One ESLint and one Prettier process then cover all the bakes:
ESLint 10 finds each file's eslint.config.js from the file's folder, Prettier each file's
.prettierrc.json, and Prettier takes every bake's .prettierignore. The scripts themselves run
through npm and pnpm on a bake of each layout, and planted mistakes prove that both checks can fail.
"""

import fcntl
import hashlib
import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from answers import CHOICES
from conftest import CACHE_DIR, bake
from generated import project_files
from fixtures.projects import ensure_package_manager
from matrix import MATRIX, combination_id
from node_runtime import node_env
from test_escaping import HOSTILE, HOSTILE_NAME, IDS

pytestmark = pytest.mark.slow

# The oldest Node line the template offers: the toolchain must run on every supported line.
LINT_NODE = min(CHOICES["node_version"], key=int)
TIMEOUT_S = 900


# What the web app adds to the shared package's toolchain: the Svelte plugins, the globals its
# config lists, and the svelte they lint against.
WEB_ONLY = ("eslint-plugin-svelte", "globals", "prettier-plugin-svelte", "svelte")


def lint_dev_dependencies(monorepo_root: Path) -> dict:
    """The lint toolchain as a generated monorepo pins it: the shared package's devDependencies
    (ESLint, Prettier, typescript-eslint, TypeScript) and the web app's Svelte additions. The two
    packages must pin every tool they share alike."""
    shared = json.loads((monorepo_root / "packages/shared/package.json").read_text())["devDependencies"]
    web = json.loads((monorepo_root / "apps/web/package.json").read_text())["devDependencies"]
    assert {name: web.get(name) for name in shared} == shared
    return shared | {name: web[name] for name in WEB_ONLY}


@pytest.fixture(scope="session")
def lint_toolchain(tmp_path_factory) -> Path:
    """node_modules holding exactly the pinned toolchain, installed once per set of pins."""
    dependencies = lint_dev_dependencies(bake(tmp_path_factory.mktemp("pins"), layout="monorepo"))
    digest = hashlib.sha256(json.dumps(dependencies, sort_keys=True).encode()).hexdigest()[:16]
    folder = CACHE_DIR / "lint-toolchain" / digest
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:  # one installer at a time (other workers, other checkouts)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".installed").exists():
            (folder / "package.json").write_text(json.dumps(
                {"name": "lint-toolchain", "private": True, "devDependencies": dependencies}))
            result = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=folder,
                                    env=node_env(LINT_NODE), capture_output=True, text=True, timeout=TIMEOUT_S)
            assert result.returncode == 0, result.stdout + result.stderr
            (folder / ".installed").touch()
    return folder / "node_modules"


def link_toolchain(root: Path, toolchain: Path) -> None:
    (root / "node_modules").symlink_to(toolchain, target_is_directory=True)


def run(command, cwd: Path, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env or node_env(LINT_NODE), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT_S)


# The configuration of each linted package. Every copy gets all of them, so each file finds its
# own package's; .prettierignore differs between bakes only in lines (the lockfile) that name no
# file Prettier would read, so any bake's variant serves.
CONFIG_FILES = ("eslint.config.js", ".prettierrc.json", ".prettierignore")


@dataclass
class MatrixLint:
    roots: dict  # combination id -> project root
    problems: dict  # combination id -> ESLint's and Prettier's complaints about its files
    distinct_files: int  # files checked: each distinct (path, content) of all the bakes once
    seconds: float


def lint_roots(root: Path) -> set[PurePosixPath]:
    """The folders of a bake whose package has its own lint configuration ("." in standalone)."""
    return {PurePosixPath(p.relative_to(root).as_posix()).parent for p in root.rglob("eslint.config.js")
            if "node_modules" not in p.parts}


def distinct_copies(roots: dict, base: Path) -> tuple[list[Path], dict, set]:
    """Folders holding every distinct (path, content) that a bake lints, once; for each file of a
    copy the bakes it stands for; and the lint roots of all the bakes. Copy k holds the k-th
    variant of each path, and every package's configuration."""
    copies, bakes_of, variants, configs, all_roots = [], {}, {}, {}, set()
    for ident, root in roots.items():
        linted = lint_roots(root)
        all_roots |= linted
        for path in project_files(root):
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if relative.name in CONFIG_FILES:
                configs.setdefault(relative, path)
            if not any(folder in relative.parents for folder in linted):
                continue  # no package's `lint` or `format:check` reads it (the monorepo's root, apps/api)
            known = variants.setdefault(relative, {})
            index = known.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), len(known))
            while len(copies) <= index:
                copies.append(base / f"variant-{len(copies)}")
            target = copies[index] / relative
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
            bakes_of.setdefault(target, set()).add(ident)
    for copy in copies:  # the copies that hold no variant of a configuration file get the first
        for relative, path in configs.items():
            if not (copy / relative).exists():
                (copy / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, copy / relative)
    return copies, bakes_of, all_roots


def check_distinct(roots: dict, folder: Path, toolchain: Path) -> tuple[dict, int]:
    """ESLint's and Prettier's complaints about each bake, from one run of each over the bakes'
    distinct files (under `folder`), and how many distinct files there were."""
    copies, bakes_of, linted = distinct_copies(roots, folder)
    for linked in (folder, *copies):
        link_toolchain(linked, toolchain)  # Prettier loads its plugins from the folder it runs in
    # Each package's folder once: a standalone bake's "." already holds a monorepo's apps/web.
    outermost = [r for r in linted if not any(other in r.parents for other in linted)]
    targets = [copy / r for copy in copies for r in outermost]
    bin_dir = toolchain / ".bin"
    eslint = run([bin_dir / "eslint", "--format", "json", *targets], folder)
    assert eslint.returncode in (0, 1), eslint.stdout[-4000:]  # 1: problems found, read from the report
    ignore_paths = [arg for copy in copies for ignore in sorted(copy.rglob(".prettierignore"))
                    for arg in ("--ignore-path", ignore)]
    prettier = run([bin_dir / "prettier", "--list-different", *ignore_paths, *targets], folder)
    assert prettier.returncode in (0, 1), prettier.stdout[-4000:]
    complaints = [(Path(r["filePath"]), f"{m['line']}: {m['ruleId']} {m['message']}")
                  for r in json.loads(eslint.stdout) for m in r["messages"]]
    complaints += [(folder / line, " not formatted as Prettier formats it") for line in prettier.stdout.split()]
    problems = {ident: [] for ident in roots}
    for path, complaint in complaints:
        for ident in bakes_of.get(path, ()):
            problems[ident].append(f"{Path(*path.relative_to(folder).parts[1:])}:{complaint}")
    return problems, len(bakes_of)


@pytest.fixture(scope="session")
def matrix_lint(tmp_path_factory, lint_toolchain) -> MatrixLint:
    """Every bake of the matrix, checked by one ESLint and one Prettier run over its distinct files."""
    base = tmp_path_factory.mktemp("lint-matrix")
    roots = {combination_id(c): bake(base / "bakes" / combination_id(c), **c) for c in MATRIX}
    started = time.monotonic()
    problems, distinct = check_distinct(roots, base / "distinct", lint_toolchain)
    seconds = time.monotonic() - started
    print(f"\nESLint and Prettier over {distinct} distinct files of {len(roots)} bakes: {seconds:.1f} s")
    return MatrixLint(roots, problems, distinct, seconds)


IDS_OF_MATRIX = [combination_id(c) for c in MATRIX]


def test_matrix_check_covers_every_bake_and_the_app_sources(matrix_lint):
    assert len(matrix_lint.problems) == len(MATRIX)
    assert matrix_lint.distinct_files > 60  # the sources of both layouts at least, Svelte included


@pytest.mark.parametrize("ident", IDS_OF_MATRIX)
def test_every_bake_of_the_matrix_passes_eslint_and_prettier(matrix_lint, ident):
    assert matrix_lint.problems[ident] == []


# --- the scripts themselves, through both package managers, in both layouts -------------------


def first_bake(layout: str, package_manager: str) -> dict:
    return next(c for c in MATRIX if c["layout"] == layout and c["package_manager"] == package_manager)


SCRIPT_BAKES = [first_bake(layout, pm) for layout in CHOICES["layout"] for pm in CHOICES["package_manager"]]


@pytest.fixture(scope="module", params=SCRIPT_BAKES, ids=[f"{c['layout']}-{c['package_manager']}" for c in SCRIPT_BAKES])
def linted_project(request, tmp_path_factory, lint_toolchain):
    answers = request.param
    root = bake(tmp_path_factory.mktemp("lint-scripts"), **answers)
    link_toolchain(root, lint_toolchain)
    env = node_env(LINT_NODE)
    ensure_package_manager(root, answers["package_manager"])
    return root, answers["package_manager"], env


def run_script(project, script: str) -> subprocess.CompletedProcess:
    root, package_manager, env = project
    return run([package_manager, "run", script], root, env)


def plant(project, relative: str, text: str):
    """Write `text` at `relative` inside the web app's folder (`shared/...`: inside the shared
    package's sources, packages/shared/src in the monorepo); returns the path written."""
    root = project[0]
    monorepo = (root / "apps/web").is_dir()
    if relative.startswith("shared/"):
        path = root / ("packages/shared/src" if monorepo else "src/shared") / relative.removeprefix("shared/")
    else:
        path = (root / "apps/web" if monorepo else root) / relative
    path.write_text(text)
    return path


LOOSE_TS = """export function planted(value: any): boolean {
  const leftover = 1;
  return value == 1;
}
"""
LOOSE_SVELTE = """<script lang="ts">
  let { value }: { value: any } = $props();
  const leftover = 1;
</script>

<p>{value == 1 ? 'one' : 'other'}</p>
"""
PLANTED_RULES = ["eqeqeq", "@typescript-eslint/no-explicit-any", "@typescript-eslint/no-unused-vars"]


def test_lint_and_format_check_scripts_pass_on_the_project_as_generated(linted_project):
    for script in ("lint", "format:check"):
        result = run_script(linted_project, script)
        assert result.returncode == 0, result.stdout[-4000:]


@pytest.mark.parametrize("relative, text", [("src/app/planted.ts", LOOSE_TS),
                                            ("src/app/components/Planted.svelte", LOOSE_SVELTE),
                                            ("shared/planted.ts", LOOSE_TS)],
                         ids=["typescript", "svelte", "shared-package"])
def test_lint_script_fails_on_loose_equality_any_and_an_unused_variable(linted_project, relative, text):
    path = plant(linted_project, relative, text)
    try:
        result = run_script(linted_project, "lint")
    finally:
        path.unlink()
    assert result.returncode != 0
    assert path.name in result.stdout
    for rule in PLANTED_RULES:
        assert rule in result.stdout, (rule, result.stdout[-3000:])


def test_format_check_script_fails_on_a_misformatted_line_and_names_its_file(linted_project):
    path = plant(linted_project, "src/app/misformatted.ts", "export const planted = {a:1,  b:\"two\"}\n")
    try:
        result = run_script(linted_project, "format:check")
    finally:
        path.unlink()
    assert result.returncode != 0
    assert "misformatted.ts" in result.stdout


# --- hostile answers --------------------------------------------------------------------------

# The user's text reaches the TypeScript as SITE_NAME's literal: quotes decide Prettier's quote
# character, the length whether the literal gets a line of its own (92 characters still fit).
HOSTILE_NAMES = [*HOSTILE, HOSTILE_NAME, "x" * 92, "x" * 93, "'" * 3 + '"' * 2]
HOSTILE_IDS = [*IDS, "title-attack", "92-fits", "93-wraps", "more-single-quotes"]


@pytest.mark.parametrize("layout", CHOICES["layout"])
def test_hostile_answers_pass_lint_and_format_check(tmp_path, lint_toolchain, layout):
    roots = {ident: bake(tmp_path / "bakes" / ident, project_name=name, project_slug="hostile", description=name,
                         author_name=name, layout=layout)
             for ident, name in zip(HOSTILE_IDS, HOSTILE_NAMES)}
    problems, _ = check_distinct(roots, tmp_path / "distinct", lint_toolchain)
    assert problems == {ident: [] for ident in roots}
