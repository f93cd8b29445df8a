"""A small reader for the generated Dockerfiles and .dockerignore files.

Enough of the Dockerfile syntax for the files this template generates: line continuations,
comments, parser directives, `FROM image AS name`, and COPY/ADD in shell or JSON form with
`--from`/`--chown`/`--link` flags. Also a `.dockerignore` matcher with Docker's rules
(patterns anchored at the context root, `**`, `!` exceptions, last match wins).
"""

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY...
    args: str  # the rest of the (joined) line
    line: int


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """ENV of this stage (`KEY=value ...` form), later values winning."""
        values = {}
        for instruction in self.all("ENV"):
            for word in shlex.split(instruction.args):
                key, _, value = word.partition("=")
                values[key] = value
        return values

    def workdir(self) -> str:
        workdir = "/"
        for instruction in self.all("WORKDIR"):
            workdir = str(Path(workdir, instruction.args.strip()))
        return workdir


@dataclass
class Copy:
    sources: list[str]
    destination: str
    from_stage: str | None
    flags: dict[str, str]


def instructions(text: str) -> list[Instruction]:
    result = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped, as Docker does
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        pending += stripped
        keyword, _, args = pending.partition(" ")
        result.append(Instruction(keyword.upper(), args.strip(), start))
        pending = ""
    return result


def stages(text: str) -> list[Stage]:
    result: list[Stage] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            result.append(Stage(words[0], name))
        elif result:
            result[-1].instructions.append(instruction)
    return result


def read_stages(path: Path) -> list[Stage]:
    return stages(path.read_text(encoding="utf-8"))


def parse_copy(instruction: Instruction) -> Copy:
    words = shlex.split(instruction.args)
    flags = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    if words and words[0].startswith("["):
        words = json.loads(" ".join(words))
    return Copy(words[:-1], words[-1], flags.get("from"), flags)


def exec_form(instruction: Instruction) -> list[str]:
    """CMD/ENTRYPOINT/HEALTHCHECK CMD in JSON (exec) form."""
    args = instruction.args
    if instruction.keyword == "HEALTHCHECK":
        args = args[args.index("CMD ") + 4:]
    value = json.loads(args)
    assert isinstance(value, list), f"line {instruction.line}: not exec form: {instruction.args}"
    return value


def run_command(instruction: Instruction) -> str:
    """The shell command of a RUN, without its --mount/--network flags."""
    words = instruction.args
    while words.startswith("--"):
        words = words.split(None, 1)[1]
    return words


def exposed_ports(stage: Stage) -> list[int]:
    return [int(port.split("/")[0]) for i in stage.all("EXPOSE") for port in i.args.split()]


# --- .dockerignore -------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + "$")


def ignore_rules(path: Path) -> list[tuple[bool, re.Pattern]]:
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        rules.append((negated, _pattern_regex(pattern)))
    return rules


def is_ignored(relative: str, rules) -> bool:
    """Docker excludes a path when it, or one of its parent folders, matches; last rule wins."""
    parts = relative.split("/")
    ignored = False
    for negated, regex in rules:
        if any(regex.match("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            ignored = not negated
    return ignored


def context_files(context: Path, dockerignore: Path) -> list[str]:
    """Relative paths of the files Docker would send as the build context."""
    rules = ignore_rules(dockerignore) if dockerignore.exists() else []
    can_prune = not any(negated for negated, _ in rules)
    files = []
    for folder, dirs, names in os.walk(context):
        base = Path(folder).relative_to(context).as_posix()
        prefix = "" if base == "." else base + "/"
        if can_prune:
            dirs[:] = [d for d in dirs if not is_ignored(prefix + d, rules)]
        files += [prefix + n for n in names if not is_ignored(prefix + n, rules)]
    return sorted(files)
