"""How the command line writes: consoles that never break words, and one-line errors.

On a terminal rich wraps long lines between words to the terminal's width. When the output
is a pipe or a file, nothing is wrapped at all (a message is one line, whatever its length)
and tables are as wide as their content, so `wirework config | grep …` sees whole values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from wirework.errors import InvalidInput
from wirework.services.admin import masked_settings
from wirework.settings import Settings

#: Width given to tables when the output is no terminal: wide enough never to cut a value.
UNBOUNDED = 1_000_000


def make_console(*, stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if console.is_terminal:
        return console
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=UNBOUNDED)


def is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


out = make_console(stderr=False)
err = make_console(stderr=True)


def say(console: Console, text: str, *, markup: bool = True) -> None:
    """Print a message. On a terminal it wraps between words, and a word longer than the
    line (a path, a URL) is left whole for the terminal to show; elsewhere never wraps."""
    rich_text = Text.from_markup(text) if markup else Text(text)
    lines = [rich_text]
    if console.is_terminal:
        lines = word_wrap(rich_text, console.width)
    for line in lines:
        console.print(line, overflow="ignore", crop=False, soft_wrap=True)


def word_wrap(text: Text, width: int) -> list[Text]:
    """``text`` cut into lines of at most ``width`` columns, only where there is whitespace
    (rich's own wrapping splits a word longer than the line)."""
    plain = text.plain
    breaks: list[int] = []
    line_start = 0
    for word in re.finditer(r"\S+", plain):
        if word.end() - line_start > width and word.start() > line_start:
            gap = plain[line_start : word.start()]
            if gap.strip():  # the line holds a word: the next one starts a new line
                breaks.append(word.start())
                line_start = word.start()
    if not breaks:
        return [text]
    lines = list(text.divide(breaks))
    for line in lines:
        line.rstrip()  # in place: the space the line was broken at
    return lines


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises what this returns."""
    say(err, f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def print_problems(exc: InvalidInput, what: str) -> None:
    """A validation failure: one ``error:`` line per problem, each naming its field (and
    node), headed by what was invalid when there are several."""
    problems = [
        (f"node {p.node_id!r}: " if p.node_id else "")
        + (f"{p.field}: " if p.field else "")
        + p.message
        for p in exc.errors
    ] or [exc.message]
    if len(problems) == 1:
        say(err, f"[bold red]error:[/] {escape(what)}: {escape(problems[0])}")
        return
    say(err, f"[bold red]error:[/] {escape(what)}: {len(problems)} problems")
    for problem in problems:
        say(err, f"  {problem}", markup=False)


def generated_key_note(path: Path) -> str:
    """What `wirework config` shows for a key that comes from a file in the data dir."""
    where = path.resolve()
    return f"(generated) {where}" if path.exists() else f"(generated on first start) {where}"


def describe_settings(settings: Settings) -> dict[str, Any]:
    """The effective settings for `wirework config`: secrets masked, and for what is derived
    (generated keys, the public URL) where it comes from instead of a bare empty value."""
    from wirework.services.runtime import SECRET_KEY_FILE
    from wirework.services.vault import key_file

    values = masked_settings(settings)
    if not values.get("encryption_key"):
        values["encryption_key"] = generated_key_note(key_file(settings))
    if not values.get("secret_key"):
        values["secret_key"] = generated_key_note(Path(settings.data_dir) / SECRET_KEY_FILE)
    if not values.get("public_url"):
        values["public_url"] = f"(default) {settings.base_url}"
    if not values.get("database_url"):
        values["database_url"] = "(default) SQLite in the data dir"
    return values
