"""Reading shell snippets: the simple commands they run, and in which folder."""

import re
import shlex
from pathlib import Path

ENV_NAME = r"[A-Z][A-Z0-9_]*"  # an environment variable's name


def shell_commands(script: str, cwd: Path):
    """(directory, argv) of each simple command of a shell snippet, following `cd` and `( )`.
    Leading `NAME=value` assignments are dropped; `$( )` opens a command of its own."""
    script = re.sub(r"\\\n", " ", script)
    stack = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars="();|&")
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError as error:
            raise AssertionError(f"cannot read this shell line ({error}): {line}") from None
        argv = []
        for token in [*tokens, ";"]:
            if token and set(token) <= set("();|&"):
                while argv and re.match(rf"{ENV_NAME}=", argv[0]):
                    argv = argv[1:]
                if argv[:1] == ["cd"] and len(argv) > 1:
                    cwd = cwd / argv[1]
                elif argv:
                    yield cwd, argv
                argv = []
                for char in token:
                    if char == "(":
                        stack.append(cwd)
                    elif char == ")" and stack:
                        cwd = stack.pop()
            else:
                argv.append(token)
