"""harness.markdown: what a reader of a Markdown doc takes from it."""

import textwrap
from pathlib import Path

from harness.markdown import Doc, anchors, heading_anchor, looks_like_path, sections, text_blocks_of

DOC = textwrap.dedent("""\
    # Getting `started`

    Run `pnpm dev` and read `docs/RUNBOOK.md`; `--flag` is no path, nor `https://example.com/x`.

    ```sh
    cd apps/web
    pnpm build
    ```

    1. A list item that names `apps/api/Cargo.toml`:

       ```bash
       cargo test
       ```

    ```
    src/            the sources
    README.md       this file
    ```

    ## Deploy & roll back
    See [the runbook](docs/RUNBOOK.md#rollback).
    """)


def write(tmp_path: Path, text: str = DOC) -> Doc:
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    return Doc(path, tmp_path, tmp_path)


def test_blocks_keep_their_language_and_lose_the_indent_of_a_list(tmp_path):
    doc = write(tmp_path)
    assert doc.blocks == [("sh", "cd apps/web\npnpm build"), ("bash", "cargo test"),
                          ("", "src/            the sources\nREADME.md       this file")]


def test_prose_blanks_the_blocks_out_but_keeps_the_line_count(tmp_path):
    doc = write(tmp_path)
    assert "pnpm build" not in doc.prose and "cargo test" not in doc.prose
    assert doc.prose.count("\n") == doc.text.count("\n")


def test_shell_snippets_are_shell_blocks_and_command_spans(tmp_path):
    doc = write(tmp_path)
    assert list(doc.shell_snippets()) == ["cd apps/web\npnpm build", "cargo test", "pnpm dev"]


def test_named_paths_are_path_spans_and_the_first_words_of_a_file_tree(tmp_path):
    doc = write(tmp_path)
    assert [path for path, _ in doc.named_paths()] == ["docs/RUNBOOK.md", "apps/api/Cargo.toml", "src/", "README.md"]


def test_what_looks_like_a_path():
    assert all(map(looks_like_path, ["docs/RUNBOOK.md", "fly.toml", "Dockerfile", ".env", "src/server/"]))
    assert not any(map(looks_like_path, ["--flag", "/usr/bin", "~/x", "https://a/b", "<app>/x", "a b/c",
                                         "gcr.io/distroless/nodejs", "pr-NNNN/x", "#anchor/x", "word"]))


def test_heading_anchors_follow_github():
    assert heading_anchor("Deploy & roll back") == "deploy--roll-back"
    assert heading_anchor("Getting `started`") == "getting-started"


def test_anchors_ignore_comments_in_code_blocks(tmp_path):
    doc = write(tmp_path, "# One\n\n```sh\n# not a heading\n```\n\n## Two words\n")
    assert anchors(doc.path) == {"one", "two-words"}


def test_sections_cut_at_headings_outside_code_blocks():
    text = "intro\n# A\n```sh\n# comment\n```\n## B\nbody\n"
    assert sections(text) == ["intro\n", "# A\n```sh\n# comment\n```\n", "## B\nbody\n"]


def test_text_blocks_are_paragraphs_list_items_and_table_rows(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("One\nparagraph.\n\n- item one\n- item two\n| a | b |\n| 1 | 2 |\n", encoding="utf-8")
    assert text_blocks_of(path) == ["One\nparagraph.", "- item one", "- item two", "| a | b |", "| 1 | 2 |\n"]


def test_text_blocks_of_a_toml_file_are_its_comment_blocks(tmp_path):
    path = tmp_path / "fly.toml"
    path.write_text("# first\n# still first\napp = 'x'\n\n  # second\nkey = 1\n", encoding="utf-8")
    assert text_blocks_of(path) == ["# first\n# still first\n", "  # second\n"]
