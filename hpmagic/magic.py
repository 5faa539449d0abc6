"""``%%tune``: thin glue between IPython and :func:`hpmagic.api.run`.

The options are declared with IPython's ``magic_arguments`` (so ``%%tune?`` documents
itself) and become a :class:`~hpmagic.options.TuneOptions`.  Any
:class:`~hpmagic.errors.HpmagicError` becomes a ``UsageError``: the message, without a
traceback from hpmagic's internals.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, argument_group, magic_arguments

from .api import run
from .errors import HpmagicError, TrialsFailedError
from .options import TuneOptions
from .result import TuneResult

__all__ = ["TuneMagics", "split_line"]


@magics_class
class TuneMagics(Magics):
    """The ``%%tune`` cell magic (registered by ``%load_ext hpmagic``)."""

    @magic_arguments("%tune")  # the usage line reads %%tune (IPython adds one %)
    @argument_group("search")
    @argument("-n", "--trials", type=int, default=None, metavar="N",
              help="Total trials of the search, the defaults (trial 0) included. "
                   "Default 30; with --strategy grid, the whole grid.")
    @argument("-s", "--strategy", default="auto", metavar="NAME",
              help="auto (default), grid, random, sobol, tpe, anneal, hyperopt-random, gp, evolution, de, manual "
                   "(sliders and a Run button: each click is one trial), "
                   "or the name of a Strategy object in the namespace.")
    @argument("-t", "--timeout", type=float, default=None, metavar="SECONDS",
              help="Start no new trial after this many seconds. With -s auto, proposals are then timed "
                   "against the trials: when they cost more, auto hands over to a cheaper strategy (de).")
    @argument("--seed", type=int, default=None, metavar="N",
              help="Seed for reproducible sampling (a random seed is drawn and shown otherwise).")
    @argument("--grid-points", type=int, default=5, metavar="K",
              help="Points per continuous parameter for the grid strategy (default 5).")
    @argument("--prune", nargs="?", const="auto", default=None, metavar="RULE",
              help="Stop unpromising trials early, from what the cell reports with hpmagic.report(value, step) "
                   "(or hpmagic.cross_val_score): median, asha (the default), hyperband or folds, with settings "
                   "as RULE:NAME=VALUE,... (e.g. asha:eta=3,min_resource=2).")
    @argument("--no-baseline", dest="baseline", action="store_false", help="Do not run the cell's defaults as trial 0.")
    @argument_group("objective")
    @argument("--minimize", action="store_true", help="Lower is better (the default).")
    @argument("--maximize", action="store_true", help="Higher is better.")
    @argument("--metric", default=None, metavar="NAME",
              help="The objective is key NAME of the dict the cell returns, else the variable NAME after the cell ran.")
    @argument_group("parallel trials")
    @argument("-j", "--jobs", type=int, default=1, metavar="N",
              help="Run N trials at once in N local worker processes; the cell and the variables it reads "
                   "are sent to each worker once. With --executor: at most N trials in flight.")
    @argument("--executor", default=None, metavar="NAME",
              help="Run trials on NAME from the namespace: a dask.distributed.Client, an ipyparallel "
                   "Client or View, or a concurrent.futures.Executor.")
    @argument_group("studies")
    @argument("--study", default=None, metavar="NAME",
              help="Save every trial under NAME in the --storage file; running the cell again resumes it up to -n.")
    @argument("--storage", default=None, metavar="PATH",
              help="SQLite file of studies (default hpmagic.sqlite in the working directory).")
    @argument("--overwrite", action="store_true",
              help="Start the --study afresh; its stored trials are kept, archived as NAME@DATE-TIME, never deleted.")
    @argument_group("results")
    @argument("--no-apply", dest="apply", action="store_false",
              help="Leave the namespace as it was; do not bind the best values.")
    @argument("-q", "--quiet", action="store_true",
              help="No progress display (the live panel in a notebook, a progress line elsewhere).")
    @argument("-o", "--out", default=None, metavar="NAME", help="Also bind the TuneResult to NAME.")
    @argument("-w", "--write-back", dest="write_back", action="store_true",
              help="Write the best values into the cell as its defaults, keeping the annotations and every other "
                   "byte; the %%%%tune line becomes a comment, so the cell then runs once with them (remove the '# ' "
                   "to tune again).")
    @no_var_expand  # the line is split first, then each word expanded (see split_line)
    @cell_magic
    def tune(self, line: str, cell: str) -> Any:
        """Tune the cell's ``# tune:`` annotated assignments.

        Each top-level assignment with a trailing ``# tune: SPEC`` comment becomes a tuned
        parameter; its written value is the default, run as trial 0.  The value of the
        cell's last expression is the objective (a number, a sequence of numbers whose
        mean is used, or a dict of numbers). Example::

            %%tune -n 40 --maximize
            C      = 1.0    # tune: loguniform(1e-2, 1e3)
            kernel = "rbf"  # tune: choice("rbf", "poly")
            degree = 3      # tune: int(2, 5) if kernel == "poly"
            cross_val_score(SVC(C=C, kernel=kernel, degree=degree), X, y, cv=3)

        SPEC is one of uniform(low, high), loguniform(low, high), int(low, high),
        logint(low, high), choice(a, b, ...) or [a, b, ...], normal(mu, sigma),
        lognormal(mu, sigma); uniform, int and logint take step=q; any SPEC may end in
        ``if CONDITION`` over earlier parameters.

        Afterwards the tuned names hold the best values and the cell's output is a
        TuneResult. Kernel interrupt stops the search and keeps finished trials.
        """
        shell = self.shell
        assert shell is not None  # a magic runs in a shell
        words = split_line(line, lambda text: _expand(text, shell.user_ns))
        opts = TuneOptions(**vars(self.tune.parser.parse_args(words)))
        try:
            # One blank line stands for the %%tune line, so that line numbers in annotation errors
            # and tracebacks are the editor's (the cell's first line is line 2).
            python = shell.transform_cell(cell)
            result = run("\n" + python, shell.user_ns, opts, result_name=_result_name(shell, opts))
            if isinstance(result, TuneResult):
                result = _write_back(shell, opts, result, line, cell, python)
            return result
        except TrialsFailedError:
            raise  # a bug in the cell, not in the %%tune line: shown under its own name, without hpmagic's frames
        except HpmagicError as exc:
            raise UsageError(str(exc)) from None
        except KeyboardInterrupt:
            # The runner handles interrupts once trials run; this is a press during set-up.
            print("hpmagic: interrupted before the first trial started; nothing ran and nothing changed.",
                  file=sys.stderr)
            return None

    # magic_arguments starts the help with reST's "::" (a literal block): not for %%tune? readers.
    tune.__doc__ = (tune.__doc__ or "").replace("::\n\n  ", "", 1)


def _write_back(shell: Any, opts: TuneOptions, result: TuneResult, line: str, cell: str, python: str) -> TuneResult:
    """With ``--write-back``, hand the cell with the best values to the front end; without it,
    a note telling how, when the best values differ from the defaults."""
    from .cell import writeback

    values = result.values_to_apply()
    defaults = {p.name: p.default for p in result.space}
    if all(writeback.same_value(value, defaults[name]) for name, value in values.items()):
        return result  # nothing found, or the defaults were best: nothing to write
    if not opts.write_back:
        note = writeback.HINT
    else:
        try:
            text = writeback.written_cell(*_as_written(shell, line, cell), values, python)
        except writeback.WriteBackError as exc:
            note = f"nothing was written back: {exc}"
        else:
            shell.set_next_input(text, replace=True)
            note = ("the best values were written into the cell, whose %%tune line is now a comment: "
                    "the cell runs once with them; remove the '# ' to tune again")
    result = dataclasses.replace(result, notes=result.notes + (note,))
    if opts.out:
        shell.user_ns[opts.out] = result
    return result


def _result_name(shell: Any, opts: TuneOptions) -> str:
    """Where the result will be once the cell ends: ``-o``'s name, else ``Out[N]``, N the
    number IPython's display hook stores this cell's value under ("" when not known)."""
    if opts.out:
        return opts.out
    count = getattr(getattr(shell, "displayhook", None), "prompt_count", None)
    return f"Out[{count}]" if isinstance(count, int) and count > 0 else ""


def _as_written(shell: Any, line: str, cell: str) -> tuple[str, str]:
    """The cell's first line and the rest as written: from the request the front end sent
    (ipykernel keeps it), where the rest is this cell; else rebuilt from the magic's arguments."""
    code = (getattr(shell, "parent_header", None) or {}).get("content", {}).get("code", "")
    first, _, rest = code.partition("\n")
    if first.lstrip().startswith("%%tune") and rest.rstrip("\n") == cell.rstrip("\n"):
        return first, rest
    return f"%%tune {line}".rstrip(), cell


def _expand(text: str, namespace: Any) -> str:
    """IPython's ``$name`` / ``{expression}`` expansion, over the user's namespace only."""
    from IPython.utils.text import DollarFormatter

    try:
        return DollarFormatter().vformat(text, args=[], kwargs=namespace)
    except Exception:  # noqa: BLE001 - as IPython does: what cannot be expanded stays as written
        return text


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
