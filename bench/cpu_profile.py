"""Where the generated server spends its CPU under load: a V8 CPU profile taken while autocannon runs.

    python3 bench/cpu_profile.py [--seconds 10] [--warmup 5] [--top 20] [--keep FILE.cpuprofile]

Bakes and builds the default project as bench/run.py does, starts it with `node --cpu-prof` (same
Node, same environment), warms it up, loads `/` with autocannon -c50 for --seconds, stops it with
SIGTERM (V8 writes the profile on exit) and prints, for the samples taken during the load only:
the functions with the most self time, the same time summed per package or source file, and the
inclusive time of the app's own functions and its plugins. The server is one Vite bundle: the
profile rebuilds it with the project's own Vite config plus `--sourcemap` (the same code, a map
beside it) and traces every function back to its source file and package through that map.
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
from toolchain import load_tools, stdout_to_stderr  # noqa: E402

PACKAGE = re.compile(r"node_modules/(?:\.pnpm/[^/]+/node_modules/)?((?:@[^/]+/)?[^/]+)/(.*)")
BASE64 = {char: value for value, char in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def vlq(segment: str) -> list[int]:
    """The numbers of one source-map segment (base64 VLQ, sign in the lowest bit)."""
    values, shift, value = [], 0, 0
    for char in segment:
        digit = BASE64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
        else:
            values.append(-(value >> 1) if value & 1 else value >> 1)
            shift, value = 0, 0
    return values


class SourceMap:
    """Bundle (line, column), 0-based as V8 reports them -> (source file, 1-based line)."""

    def __init__(self, path: Path):
        data = json.loads(path.read_text(encoding="utf-8"))
        self.sources = [re.sub(r"^(\.\./)+", "", source) for source in data["sources"]]
        self.lines: list[tuple[list[int], list[tuple[int, int]]]] = []
        source = original_line = original_column = 0
        for line in data["mappings"].split(";"):
            columns, places, column = [], [], 0
            for segment in filter(None, line.split(",")):
                values = vlq(segment)
                column += values[0]
                if len(values) >= 4:
                    source, original_line, original_column = (
                        source + values[1], original_line + values[2], original_column + values[3])
                    columns.append(column)
                    places.append((source, original_line))
            self.lines.append((columns, places))

    def source_at(self, line: int, column: int) -> tuple[str, int] | None:
        if line >= len(self.lines) or not self.lines[line][0]:
            return None
        columns, places = self.lines[line]
        source, original_line = places[max(bisect.bisect_right(columns, column) - 1, 0)]
        return self.sources[source], original_line + 1


def owner(frame: dict, bundle_url: str, source_map: SourceMap) -> tuple[str, str]:
    """(package or file, where in it) of a profile frame."""
    url = frame["url"]
    if url != bundle_url:
        return (url, f":{frame['lineNumber'] + 1}") if url else ("(V8 / native)", "")
    found = source_map.source_at(frame["lineNumber"], frame["columnNumber"])
    if not found:
        return "(bundle)", f":{frame['lineNumber'] + 1}"
    source, line = found
    package = PACKAGE.search(source)
    return (package.group(1), f" {package.group(2)}:{line}") if package else (source, f":{line}")


def summarise(profile: dict, bundle: Path, skip_ms: float, top: int) -> str:
    """Self and inclusive time per function over the samples taken after `skip_ms`."""
    source_map = SourceMap(bundle.with_name(bundle.name + ".map"))
    bundle_url = bundle.resolve().as_uri()
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", ())}
    frames: dict[int, tuple[str, str, str]] = {}

    def frame_of(node_id: int) -> tuple[str, str, str]:
        """(function, package or file, where) of a profile node."""
        if node_id not in frames:
            call = nodes[node_id]["callFrame"]
            frames[node_id] = (call["functionName"] or "(anonymous)", *owner(call, bundle_url, source_map))
        return frames[node_id]

    self_ms, inclusive_ms, by_owner = defaultdict(float), defaultdict(float), defaultdict(float)
    elapsed, total, idle = 0.0, 0.0, 0.0
    for sample, delta_us in zip(profile["samples"], profile["timeDeltas"]):
        elapsed += delta_us / 1000
        if elapsed < skip_ms:
            continue
        ms = delta_us / 1000
        frame = frame_of(sample)
        if frame[0] == "(idle)":
            idle += ms
            continue
        total += ms
        self_ms[frame] += ms
        by_owner[frame[1]] += ms
        seen, node_id = set(), sample
        while node_id is not None:
            if frame_of(node_id) not in seen:
                seen.add(frame_of(node_id))
                inclusive_ms[frame_of(node_id)] += ms
            node_id = parent.get(node_id)

    # The socket write: on cores the load generator shares, a sample often lands in writev while the
    # server waits to run again after waking the load generator, so it is shown apart.
    writev = sum(ms for frame, ms in self_ms.items() if frame[0] == "writev")
    work = total - writev

    def pct(ms: float) -> str:
        return f"{100 * ms / total:5.1f}% | {100 * ms / work:5.1f}%"

    def row(frame: tuple[str, str, str]) -> str:
        name, package, where = frame
        return f"`{name}` | {package}{where}"

    lines = [f"busy {total:,.0f} ms (writev {writev:,.0f} ms, the rest {work:,.0f} ms), idle {idle:,.0f} ms",
             "% of busy, then % of busy without writev", "",
             f"Top {top} functions by self time:", "| # | self ms | % | % w/o writev | function | where |",
             "| --- | --- | --- | --- | --- | --- |"]
    ranked = sorted(self_ms.items(), key=lambda item: -item[1])[:top]
    lines += [f"| {i} | {ms:,.0f} | {pct(ms)} | {row(frame)} |" for i, (frame, ms) in enumerate(ranked, 1)]
    lines += ["", "Self time per package or source file:", "| self ms | % | % w/o writev | package or file |",
              "| --- | --- | --- | --- |"]
    lines += [f"| {ms:,.0f} | {pct(ms)} | {name} |" for name, ms in sorted(by_owner.items(), key=lambda i: -i[1])[:top]]
    lines += ["", "Inclusive time (self + callees) of the app's own code and of the Fastify plugins (a hook that"
              " calls the next one includes it):",
              "| incl. ms | % | % w/o writev | function | where |", "| --- | --- | --- | --- | --- |"]
    own = [(frame, ms) for frame, ms in inclusive_ms.items() if frame[1].startswith(("src/", "@fastify/", "helmet"))]
    lines += [f"| {ms:,.0f} | {pct(ms)} | {row(frame)} |" for frame, ms in sorted(own, key=lambda item: -item[1])[:top]]
    return "\n".join(lines)


def build_with_source_map(project: Path, env: dict) -> None:
    """The server bundle again, from the project's own Vite config and SSR entry, with a source map beside it."""
    script = json.loads((project / "package.json").read_text())["scripts"]["build"]
    entry = re.search(r"--ssr\s+(\S+)", script)
    if not entry:
        raise RuntimeError(f"the build script has no `vite build --ssr <entry>`: {script}")
    toolchain.run(["node_modules/.bin/vite", "build", "--ssr", entry.group(1), "--sourcemap", "--logLevel", "warn"],
                  cwd=project, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="copy the .cpuprofile here (opens in Chrome DevTools)")
    args = parser.parse_args()

    node_dir = toolchain.node_bin_dir(toolchain.default_node_major())
    env = toolchain.env_with_node(node_dir)
    tools = load_tools(env)
    load_tool = [str(node_dir / "node"), str(tools / "node_modules" / "autocannon" / "autocannon.js")]
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        work = Path(tmp)
        with stdout_to_stderr():
            generated, _ = builds.web_app(work / "web", env)
            build_with_source_map(generated.cwd, env)
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
              f" node --cpu-prof: {load.requests:,} requests, {load.requests_per_second:,.0f} req/s while profiled,"
              f" p99 {load.p99_ms:.0f} ms\n")
        # The profile starts with the process; leave out start-up and warm-up.
        print(summarise(json.loads(profile_file.read_text()), generated.cwd / "dist" / "server" / "index.cjs",
                        (load_from - spawned) * 1000, args.top))


if __name__ == "__main__":
    main()
