"""Everything the bench measures, built from scratch: the generated apps and their peers.

The generated apps come from `cookiecutter --no-input` (the suite's bake()) and their own build
commands. The peers are built from the npm registry and crates.io into the suite's cache, from the
small sources in bench/peers/; they take their data (page HTML, posts) from the generated apps, so
both sides serve the same bytes.
"""

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from toolchain import BENCH_CACHE, BENCH_DIR, installed_version, npm_project, run, sync_tree
from harness import dockerfile_model
from harness.answers import FULL_MONOREPO
from harness.bake import bake
from harness.docker_build import OutsideDockerBuild, build_context, folder_size, install_like_the_user
from harness.servers import http
from harness.web_build import ensure_package_manager
from measure import Server

PEERS_DIR = BENCH_DIR / "peers"
CARGO_TARGET = BENCH_CACHE / "cargo-target"  # its own: the suite's target dir builds the API with other features
# Peer-only tools, pinned. SvelteKit and its Node adapter: the newest releases when this was written.
ESBUILD = "0.28.2"
SVELTEKIT = "3.2.0"
ADAPTER_NODE = "6.0.1"
# Build output and installs inside the peers' cache folders survive the source sync.
KEEP = ("node_modules", "package.json", "build", ".svelte-kit", "dist")
# The generated web app in production, its rate limit out of the way of the load generator.
WEB_ENV = {"NODE_ENV": "production", "LOG_LEVEL": "warn", "RATE_LIMIT_MAX": "1000000"}
# The generated API, its per-client rate limit (still applied, so still paid for) out of the load's way.
API_ENV = {"RUST_LOG": "warn", "RATE_LIMIT_PER_SECOND": "1000000", "RATE_LIMIT_BURST": "1000000"}


def web_app(work: Path, env: dict) -> tuple[Server, dict]:
    """The default standalone project (pnpm), installed and built with its own `build` script.

    The bake is synced into a fixed cache folder whose node_modules survives between runs (pnpm then
    only relinks what changed); its lockfile does not, so every run resolves like a first install.
    """
    project = sync_tree(bake(work), BENCH_CACHE / "web-bake", ("node_modules", "dist"))
    ensure_package_manager(project, "pnpm")
    run(["pnpm", "install", "--no-frozen-lockfile"], cwd=project, env=env)
    run(["pnpm", "run", "build"], cwd=project, env=env)
    manifest = json.loads((project / "package.json").read_text())
    server = Server("generated", "generated app", ["node", "dist/server/index.cjs"], project,
                    env={"PATH": env["PATH"], **WEB_ENV})
    return server, manifest["devDependencies"]


def fastify_peer(page_html: str, versions: dict, env: dict) -> Server:
    """Plain Fastify (the generated app's version) answering the captured page; one esbuild bundle."""
    folder = sync_tree(PEERS_DIR / "fastify", BENCH_CACHE / "peers" / "fastify", KEEP)
    (folder / "page.html").write_text(page_html, encoding="utf-8")
    npm_project(folder, {"fastify": versions["fastify"], "esbuild": ESBUILD}, env)
    run(["node_modules/.bin/esbuild", "server.js", "--bundle", "--platform=node", "--format=cjs",
         "--target=node20", "--loader:.html=text", "--outfile=dist/server.cjs", "--log-level=warning"],
        cwd=folder, env=env)
    return Server("fastify", "plain Fastify", ["node", "dist/server.cjs"], folder,
                  env={"PATH": env["PATH"], **WEB_ENV})


def sveltekit_peer(posts: list, versions: dict, env: dict) -> Server:
    """A minimal SvelteKit app with adapter-node rendering `posts` from a server `load`.

    Svelte, Vite and vite-plugin-svelte are the generated app's versions, so the compilers match.
    """
    folder = sync_tree(PEERS_DIR / "sveltekit", BENCH_CACHE / "peers" / "sveltekit", KEEP)
    (folder / "src" / "posts.json").write_text(json.dumps(posts), encoding="utf-8")
    npm_project(folder, {
        "@sveltejs/kit": SVELTEKIT,
        "@sveltejs/adapter-node": ADAPTER_NODE,
        "@sveltejs/vite-plugin-svelte": versions["@sveltejs/vite-plugin-svelte"],
        "svelte": versions["svelte"],
        "vite": versions["vite"],
    }, env)
    run(["node", "node_modules/vite/bin/vite.js", "build", "--logLevel", "warn"], cwd=folder, env=env)
    return Server("sveltekit", "SvelteKit", ["node", "build/index.js"], folder, env={"PATH": env["PATH"], **WEB_ENV})


def cargo_release(crate: Path, *args: str) -> None:
    env = {**os.environ, "CARGO_TARGET_DIR": str(CARGO_TARGET)}
    run(["cargo", "build", "--release", "--quiet", *args], cwd=crate, env=env)


def rust_api(work: Path) -> tuple[Server, Path]:
    """The monorepo's API with the memory repository (database=none), release build.

    The bake is synced into a fixed cache folder so an unchanged template rebuilds nothing.
    """
    baked = bake(work, layout="monorepo", backend="rust", database="none")
    api = sync_tree(baked, BENCH_CACHE / "api-bake") / "apps" / "api"
    cargo_release(api, "--locked")
    binary = copy_binary("api")
    server = Server("api", "generated API", [str(binary)], api, "/api/posts", env=API_ENV)
    return server, api / "Cargo.lock"


def axum_peer(posts_json: bytes, api_lock: Path) -> Server:
    """Plain Axum answering the generated API's posts, on the API's own axum/tokio/serde versions."""
    folder = sync_tree(PEERS_DIR / "axum", BENCH_CACHE / "peers" / "axum", ("Cargo.lock", "posts.json"))
    (folder / "posts.json").write_bytes(posts_json)
    # Cargo drops the packages the peer does not use and keeps every shared one at the API's version.
    shutil.copy(api_lock, folder / "Cargo.lock")
    cargo_release(folder)
    for crate in ("axum", "tokio", "serde_json"):
        ours, theirs = locked_version(folder / "Cargo.lock", crate), locked_version(api_lock, crate)
        if ours != theirs:
            raise RuntimeError(f"plain Axum resolved {crate} {ours}, the generated API {theirs}")
    binary = copy_binary("plain-axum")
    return Server("axum", "plain Axum", [str(binary), "posts.json"], folder, "/api/posts")


def copy_binary(name: str) -> Path:
    """A copy out of the target dir, so a later build cannot replace the binary under a running server."""
    copy = BENCH_CACHE / "bin" / name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(CARGO_TARGET / "release" / name, copy)
    return copy


def locked_version(lockfile: Path, crate: str) -> str:
    match = re.search(rf'\[\[package\]\]\nname = "{re.escape(crate)}"\nversion = "([^"]+)"', lockfile.read_text())
    if not match:
        raise RuntimeError(f"{lockfile} has no {crate}")
    return match.group(1)


def web_final_stage_payload(work: Path, env: dict, reuse: bool) -> tuple[int, bool]:
    """Bytes of the web Dockerfile's final stage for the full monorepo (Sentry included); and whether
    the figure was reused.

    The slow tier's outside-Docker build: the Dockerfile's build stages run in a scratch folder and
    only what the final stage COPYs is laid out, then measured. That build is a pure function of the
    baked files, the lockfile and Node: with `reuse`, a figure measured earlier for the very same
    inputs is taken instead of building again.
    """
    project = bake(work / "baked", **FULL_MONOREPO)
    install_like_the_user(project, FULL_MONOREPO["package_manager"], env)
    digest = hashlib.sha256(run(["node", "--version"], cwd=project, env=env).encode())
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        digest.update(path.relative_to(project).as_posix().encode() + b"\0" + path.read_bytes())
    remembered = BENCH_CACHE / "payloads" / f"{digest.hexdigest()}.json"
    if reuse and remembered.is_file():
        return json.loads(remembered.read_text())["bytes"], True

    context = build_context(project, project, work / "context")
    build = OutsideDockerBuild(project / "apps" / "web" / "Dockerfile", context, work / "docker",
                               env={"PATH": env["PATH"]})
    first_copy = dockerfile_model.parse_copy(build.stages[-1].all("COPY")[0])
    build.build(first_copy.from_stage)
    build.lay_out_final_stage()
    payload = folder_size(build.final_root)
    remembered.parent.mkdir(parents=True, exist_ok=True)
    remembered.write_text(json.dumps({"bytes": payload}) + "\n")
    return payload, False


def page_of(server_url: str) -> str:
    reply = http(server_url + "/")
    if reply.status != 200:
        raise RuntimeError(f"{server_url}/ answered {reply.status}")
    return reply.text


STATE_SCRIPT = re.compile(r'<script id="app-state" type="application/json">(.*?)</script>', re.S)


def posts_on_page(html: str) -> list:
    """The posts the generated page embeds for hydration: the data the SvelteKit peer renders."""
    match = STATE_SCRIPT.search(html)
    if not match:
        raise RuntimeError("the generated page carries no app-state script")
    return json.loads(match.group(1))["posts"]


def versions(node_dir: Path, web_versions: dict, api_lock: Path | None, tools: Path) -> dict:
    found = {
        "node": run([str(node_dir / "node"), "--version"], cwd=tools).strip(),
        "autocannon": installed_version(tools, "autocannon"),
        "fastify": web_versions["fastify"],
        "svelte": web_versions["svelte"],
        "sveltekit": SVELTEKIT,
        "adapter-node": ADAPTER_NODE,
        "esbuild": ESBUILD,
        "rustc": run(["rustc", "--version"], cwd=tools).split()[1],
    }
    if api_lock:
        found |= {"axum": locked_version(api_lock, "axum"), "tokio": locked_version(api_lock, "tokio")}
    return found
