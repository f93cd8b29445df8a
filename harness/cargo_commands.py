"""Whether a cargo command line names what exists: Cargo features of the manifest it builds, and
the API subcommand it runs with the features compiled in (read from `#[cfg(feature)]` gates)."""

import re
import tomllib
from pathlib import Path

from harness.project import Project


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
    manifest = manifest or project.nearest(cwd, "Cargo.toml")
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
