"""Measured figures in prose (sizes, times, rates) and whether each block naming one says how it was
measured: a `bench/run.py` run and a date, or the bench table's marked block."""

import re

from harness.markdown import SPAN

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
