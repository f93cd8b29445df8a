"""Reading Markdown as a user follows it: fenced blocks, prose, code spans, links, paths named,
headings and their GitHub anchors, sections and paragraphs."""

import re
from functools import cached_property
from pathlib import Path

from harness.project import Project

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


def heading_anchor(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {heading_anchor(m[1]) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


HEADING = re.compile(r"^#{1,6} .*$", re.M)


def sections(text: str) -> list[str]:
    """The doc cut at every heading (code blocks first blanked, so `# comments` are no headings)."""
    blanked = FENCE.sub(lambda m: "\0" * len(m[0]), text)
    starts = [0] + [m.start() for m in HEADING.finditer(blanked)] + [len(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:]) if text[a:b].strip()]


def text_blocks_of(path: Path) -> list[str]:
    """Paragraphs, list items and table rows of Markdown; comment blocks of a fly.toml."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return re.findall(r"(?:^[ \t]*#.*\n?)+", text, re.M)
    return re.split(r"\n[ \t]*\n|\n(?=\s*\|)|\n(?=\s*- )|\n(?=\s*\d+\. )", FENCE.sub("", text))


def markdown_docs(project: Project) -> list[Doc]:
    """The project's README, docs/ and the apps' READMEs. README.md and docs/ speak from the
    repository root; an app's README from its own folder."""
    root = project.root
    paths = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    if (root / "apps").is_dir():
        paths += sorted(p for p in (root / "apps").rglob("README.md") if "node_modules" not in p.parts)
    return [Doc(path, root, root if path.parent in (root, root / "docs") else path.parent) for path in paths]
