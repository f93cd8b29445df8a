"""Where the generated server spends its CPU under load: a V8 CPU profile taken while autocannon runs.

    python3 bench/profile.py [--seconds 10] [--top 20] [--keep DIR]

Bakes and builds the default project as bench/run.py does, starts it with `node --cpu-prof` (same
Node, same environment), warms it up, loads `/` with autocannon -c50 for --seconds, stops it with
SIGTERM (V8 writes the profile on exit) and prints, for the samples taken during the load only:
the functions with the most self time, the same time summed per package or source file, and the
inclusive time of the app's own functions. The server is one Vite bundle; each function is traced
back to its package through the `// path` comment Vite writes above every module it inlines.
"""

import argparse
import bisect
import dataclasses
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import toolchain  # noqa: E402
import builds  # noqa: E402
from measure import autocannon, start_and_wait  # noqa: E402
from run import AUTOCANNON, stdout_to_stderr  # noqa: E402

MODULE_COMMENT = re.compile(r"^// (\S+)$")
PACKAGE = re.compile(r"node_modules/(?:\.pnpm/[^/]+/node_modules/)?((?:@[^/]+/)?[^/]+)/(.*)")


class BundleModules:
    """Line number -> the module a bundle inlined there, from the bundler's `// path` comments."""

    def __init__(self, bundle: Path):
        self.starts, self.names = [], []
        for number, line in enumerate(bundle.read_text(encoding="utf-8").splitlines()):
            match = MODULE_COMMENT.match(line)
            if match:
                self.starts.append(number)
                self.names.append(match.group(1))

    def module_at(self, line: int) -> str:
        index = bisect.bisect_right(self.starts, line) - 1
        if index < 0:
            return "(bundle prelude)"
        match = PACKAGE.search(self.names[index])
        return f"{match.group(1)}: {match.group(2)}" if match else self.names[index]


def owner(frame: dict, bundle_url: str, modules: BundleModules) -> str:
    url = frame["url"]
    if url == bundle_url:
        return modules.module_at(frame["lineNumber"])
    if url.startswith("node:"):
        return url
    return url or "(V8 / native)"


def summarise(profile: dict, bundle: Path, skip_ms: float, top: int) -> str:
    """Self and inclusive time per function over the samples taken after `skip_ms`."""
    modules = BundleModules(bundle)
    bundle_url = bundle.resolve().as_uri()
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", ())}

    def key(node_id: int) -> tuple[str, str]:
        frame = nodes[node_id]["callFrame"]
        name = frame["functionName"] or "(anonymous)"
        where = owner(frame, bundle_url, modules)
        line = f":{frame['lineNumber'] + 1}" if frame["url"] else ""
        return f"{name}{line}", where

    self_ms, inclusive_ms, by_owner = defaultdict(float), defaultdict(float), defaultdict(float)
    elapsed, total, idle = 0.0, 0.0, 0.0
    for sample, delta_us in zip(profile["samples"], profile["timeDeltas"]):
        elapsed += delta_us / 1000
        if elapsed < skip_ms:
            continue
        ms = delta_us / 1000
        name, where = key(sample)
        if name == "(idle)":
            idle += ms
            continue
        total += ms
        self_ms[(name, where)] += ms
        by_owner[package_of(where)] += ms
        seen, node_id = set(), sample
        while node_id is not None:
            frame_key = key(node_id)
            if frame_key not in seen:
                seen.add(frame_key)
                inclusive_ms[frame_key] += ms
            node_id = parent.get(node_id)

    def pct(ms: float) -> str:
        return f"{100 * ms / total:5.1f}%"

    lines = [f"busy {total:,.0f} ms, idle {idle:,.0f} ms over the load (sampled self time; % of busy)", "",
             f"Top {top} functions by self time:", "| # | self ms | % | function | module |", "| --- | --- | --- | --- | --- |"]
    ranked = sorted(self_ms.items(), key=lambda item: -item[1])[:top]
    lines += [f"| {i} | {ms:,.0f} | {pct(ms)} | `{name}` | {where} |" for i, ((name, where), ms) in enumerate(ranked, 1)]
    lines += ["", "Self time per package or source file:", "| self ms | % | package |", "| --- | --- | --- |"]
    lines += [f"| {ms:,.0f} | {pct(ms)} | {name} |" for name, ms in sorted(by_owner.items(), key=lambda i: -i[1])[:top]]
    lines += ["", "Inclusive time of the app's own code (src/) and of its Fastify plugins' hooks:",
              "| incl. ms | % | function | module |", "| --- | --- | --- | --- |"]
    own = [(k, ms) for k, ms in inclusive_ms.items() if k[1].startswith("src/") or k[1].startswith("@fastify/")]
    lines += [f"| {ms:,.0f} | {pct(ms)} | `{name}` | {where} |"
              for (name, where), ms in sorted(own, key=lambda item: -item[1])[:top]]
    return "\n".join(lines)


def package_of(where: str) -> str:
    return where.split(":", 1)[0] if ": " in where else where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="copy the .cpuprofile here (opens in Chrome DevTools)")
    args = parser.parse_args()

    node_dir = toolchain.node_bin_dir(toolchain.default_node_major())
    env = toolchain.env_with_node(node_dir)
    tools = toolchain.npm_project(toolchain.BENCH_CACHE / "tools", {"autocannon": AUTOCANNON}, env)
    load_tool = [str(node_dir / "node"), str(tools / "node_modules" / "autocannon" / "autocannon.js")]
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        work = Path(tmp)
        with stdout_to_stderr():
            generated, _ = builds.web_app(work / "web", env)
        profiles = work / "profiles"
        profiled = dataclasses.replace(generated, args=["node", "--cpu-prof", f"--cpu-prof-dir={profiles}",
                                                        *generated.args[1:]])
        spawned = time.perf_counter()
        server = start_and_wait(profiled, work)
        try:
            url = server.url + "/"
            autocannon(load_tool, url, 50, args.warmup)
            load_from = time.perf_counter()
            load = autocannon(load_tool, url, 50, args.seconds)
        finally:
            server.stop()
        (profile_file,) = profiles.glob("*.cpuprofile")
        if args.keep:
            args.keep.write_bytes(profile_file.read_bytes())
        print(f"generated app under autocannon -c50 -d{args.seconds} on / (after a {args.warmup} s warm-up),"
              f" node --cpu-prof: {load.requests_per_second:,.0f} req/s while profiled, p99 {load.p99_ms:.0f} ms\n")
        # The profile starts with the process; leave out start-up and warm-up.
        print(summarise(json.loads(profile_file.read_text()), generated.cwd / "dist" / "server" / "index.js",
                        (load_from - spawned) * 1000, args.top))


if __name__ == "__main__":
    main()
