"""How the ``%%tune`` line is read into words: split as a shell would (quotes, backslashes,
``{expression}`` kept whole), ``$name`` and ``{expression}`` expanded over the user's namespace
as IPython does for line magics, and the words of an unquoted ``--constraint latency <= 20``
joined into one limit.  :mod:`hpmagic.magic` hands the words to its argument parser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError

__all__ = ["read_line", "split_line", "join_constraints", "expand"]


def read_line(line: str, namespace: Any) -> list[str]:
    """The words of a ``%%tune`` line, expanded over ``namespace``, each constraint one word."""
    return join_constraints(split_line(line, lambda text: expand(text, namespace)))


def expand(text: str, namespace: Any) -> str:
    """IPython's ``$name`` / ``{expression}`` expansion, over the user's namespace only."""
    from IPython.utils.text import DollarFormatter

    try:
        return DollarFormatter().vformat(text, args=[], kwargs=namespace)
    except Exception:  # noqa: BLE001 - as IPython does: what cannot be expanded stays as written
        return text


_COMPARISON = ("<", ">", "=", "!")


def join_constraints(words: list[str]) -> list[str]:
    """The words of ``--constraint latency <= 20`` written without quotes, joined into one
    (``"latency <= 20"``): a word that ends in a comparison, or a next one that starts with one,
    belongs to the same limit.  Quoted limits and ``latency<=20`` are one word already."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        out.append(word)
        i += 1
        if word == "--constraint" and i < len(words):
            text = words[i]
            i += 1
            while i < len(words) and (text.rstrip().endswith(_COMPARISON) or words[i].startswith(_COMPARISON)):
                text = f"{text} {words[i]}"
                i += 1
            out.append(text)
    return out


def split_line(line: str, expand: Callable[[str], str]) -> list[str]:
    """Split the ``%%tune`` line into words as a shell would, then expand variables.

    Whitespace separates words; quotes group them (``--storage "my dir/f.sqlite"``,
    ``--study 'étude'``, ``--study ''``); a backslash outside single quotes keeps the next
    character as it is.  IPython's ``$name`` and ``{expression}`` are expanded by
    ``expand`` outside single quotes, after the split, so a value with spaces stays one
    word (``--study $name``); whitespace inside ``{...}`` does not split either.
    """
    words: list[str] = []
    parts: list[tuple[str, bool]] = []  # the current word: (text, expandable) runs
    run: list[str] = []
    quote, depth, started = "", 0, False

    def end_run(expandable: bool) -> None:
        if run:
            parts.append(("".join(run), expandable))
            run.clear()

    chars = iter(line)
    for ch in chars:
        if quote == "'":
            if ch == "'":
                end_run(False)
                quote = ""
            else:
                run.append(ch)
        elif ch == "\\":
            run.append(next(chars, ""))
        elif quote == '"':
            if ch == '"':
                end_run(True)
                quote = ""
            else:
                run.append(ch)
        elif ch in "'\"":
            end_run(True)
            quote, started = ch, True
        elif ch.isspace() and depth == 0:
            end_run(True)
            if parts or started:
                words.append("".join(expand(text) if expandable else text for text, expandable in parts))
            parts.clear()
            started = False
        else:
            depth += (ch == "{") - (ch == "}")
            run.append(ch)
    if quote:
        raise UsageError(f"the %%tune line has an unclosed {quote} quote: {line.strip()}")
    end_run(True)
    if parts or started:
        words.append("".join(expand(text) if expandable else text for text, expandable in parts))
    return words
