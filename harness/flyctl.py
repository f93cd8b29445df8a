"""Reading fly command lines against flyctl's command tree (tests/data/flyctl-commands.json, made
by scripts/flyctl-tree/ from the pinned flyctl): which command a line runs, and what is wrong
with it (unknown, hidden or deprecated commands and flags, an app command with no app)."""

import re
from pathlib import Path


def flag_type(spec: str) -> str:
    """A flag's value type (`bool`, `string`...) from its spec, e.g. "-a string" or "bool hidden"."""
    words = spec.split()
    return words[1] if words[0].startswith("-") else words[0]


class FlyctlTree:
    def __init__(self, tree: dict):
        self.version = tree["flyctl_version"]
        self.commands = tree["commands"]  # "apps create" -> {"flags": {...}, "aliases": [...], "hidden": ...}
        self.global_flags = tree["global_flags"]
        self.children = {}  # parent path -> word (name or alias) -> child path
        for path, command in self.commands.items():
            if path:
                parent, _, name = path.rpartition(" ")
                for word in [name, *command.get("aliases", [])]:
                    self.children.setdefault(parent, {})[word] = path

    def command_path(self, argv: list[str]) -> str:
        """The command `fly ...` runs ("" when its first word is none), e.g. "mpg attach"."""
        return self._walk(argv[1:])[0]

    def _walk(self, args: list[str]) -> tuple[str, int]:
        path, i = "", 0
        while i < len(args) and args[i] in self.children.get(path, {}):
            path, i = self.children[path][args[i]], i + 1
        return path, i

    def problems(self, cwd: Path, argv: list[str]) -> list[str]:
        """What is wrong with `argv` (a fly command line) run in `cwd`."""
        args = argv[1:]
        path, i = self._walk(args)
        if not path:
            return ["not a flyctl command"]
        command = self.commands[path]
        words = path.split()
        problems = [f"`fly {' '.join(words[:n])}` is hidden" for n in range(1, len(words) + 1)
                    if self.commands[" ".join(words[:n])].get("hidden")]
        if command.get("deprecated"):
            problems.append(f"`fly {path}` is deprecated")
        flags = self.global_flags | command["flags"]
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
            problems += [f"flag {arg} of `fly {path}` is {state}" for state in ("hidden", "deprecated")
                         if state in spec.split()]
            given.add(name)
            if flag_type(spec) != "bool" and not inline:
                i += 1
        if "app" in command["flags"] and not given & {"app", "config"} and not (cwd / "fly.toml").is_file():
            problems.append(f"`fly {path}` acts on an app and {cwd.name}/ has no fly.toml: pass --app (or --config)")
        return problems
