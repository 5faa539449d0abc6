"""``%%tune``: thin glue between IPython and :func:`hpmagic.api.tune_cell`.

The options are declared with IPython's ``magic_arguments`` (so ``%%tune?`` documents
itself) and become a :class:`~hpmagic.options.TuneOptions`.  Any
:class:`~hpmagic.errors.HpmagicError` becomes a ``UsageError``: the message, without a
traceback from hpmagic's internals.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, argument_group, magic_arguments

from ._format import fmt_seconds, plural
from .api import tune_cell
from .core import StopReason
from .errors import HpmagicError, SearchError, TrialsFailedError
from .magicline import read_line
from .options import TuneOptions
from .result import TuneResult
from .strategies.registry import names


class _Objective(argparse.Action):
    """``--maximize [NAME]`` / ``--minimize [NAME]``: bare, the direction of the cell's value (a switch);
    with a name, one objective, kept in the order given (``TuneOptions.objectives``)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        if values is None:
            setattr(namespace, self.dest, True)
        else:
            named = list(getattr(namespace, "objectives", None) or [])
            namespace.objectives = [*named, (values, self.dest)]


_MANUAL = "manual (sliders and a Run button: each click is one trial)"

if TYPE_CHECKING:
    from .cell.writeback import WrittenCell

__all__ = ["TuneMagics"]


@magics_class
class TuneMagics(Magics):
    """The ``%%tune`` cell magic (registered by ``%load_ext hpmagic``)."""

    @magic_arguments("%tune")  # the usage line reads %%tune (IPython adds one %)
    @argument_group("search")
    @argument(
        "-n",
        "--trials",
        type=int,
        default=None,
        metavar="N",
        help="Total trials of the search, the defaults (trial 0) included. "
        "Default 30; with --strategy grid, the whole grid.",
    )
    @argument(
        "-s",
        "--strategy",
        default="auto",
        metavar="NAME",
        help=f"{', '.join(names()).replace('auto', 'auto (default)', 1).replace('manual', _MANUAL, 1)}, "
        "or the name of a Strategy object in the namespace.",
    )
    @argument(
        "-t",
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="Start no new trial after this many seconds. With -s auto, proposals are then timed "
        "against the trials: when they cost more, auto hands over to a cheaper strategy (de).",
    )
    @argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="Seed for reproducible sampling (a random seed is drawn and shown otherwise).",
    )
    @argument(
        "--grid-points",
        type=int,
        default=5,
        metavar="K",
        help="Points per continuous parameter for the grid strategy (default 5).",
    )
    @argument(
        "--prune",
        nargs="?",
        const="auto",
        default=None,
        metavar="RULE",
        help="Stop unpromising trials early, from what the cell reports with hpmagic.report(value, step) "
        "(or hpmagic.cross_val_score): median, asha, hyperband (the default) or folds, with settings "
        "as RULE:NAME=VALUE,... (e.g. asha:eta=3,min_resource=2).",
    )
    @argument("--no-baseline", dest="baseline", action="store_false", help="Do not run the cell's defaults as trial 0.")
    @argument(
        "--enqueue",
        default=None,
        metavar="NAME[:K]",
        help="Run the configurations in NAME first, each once, after the defaults: a list of dicts, a "
        "DataFrame, or a TuneResult or loaded study (its K best complete trials; all without K).",
    )
    @argument(
        "--warm-start",
        dest="warm_start",
        default=None,
        metavar="STUDY",
        help="Start the strategy from the complete trials of the earlier study STUDY (in --storage), even "
        "with a changed space; they are not trials of this search.",
    )
    @argument_group("objective")
    @argument(
        "--minimize",
        nargs="?",
        const=None,
        default=False,
        action=_Objective,
        metavar="NAME",
        help="Lower is better. With neither --minimize nor --maximize, the direction is read from what the cell "
        "returns (cross_val_score, .score, *_score: higher; *_error, *_loss: lower), else minimize; the "
        "summary's headline says which.",
    )
    @argument(
        "--maximize",
        nargs="?",
        const=None,
        default=False,
        action=_Objective,
        metavar="NAME",
        help="Higher is better. With a NAME (a key of the returned dict or a variable the cell sets), an "
        "objective of its own; repeat --maximize NAME / --minimize NAME for several objectives.",
    )
    @argument(
        "--constraint",
        dest="constraints",
        action="append",
        default=None,
        metavar='"NAME <= V"',
        help="A limit that must hold (NAME <= V or NAME >= V; NAME a returned key or a variable); repeatable. "
        "Trials that break one are kept and shown, never chosen as the best.",
    )
    @argument(
        "--pick",
        default=None,
        metavar="NAME",
        help="With several objectives: bind the trial of the Pareto front best on NAME (default: the knee).",
    )
    @argument(
        "--metric",
        default=None,
        metavar="NAME",
        help="The objective is key NAME of the dict the cell returns, else the variable NAME after the cell ran.",
    )
    @argument_group("parallel trials")
    @argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="Run N trials at once in N local worker processes; the cell and the variables it reads "
        "are sent to each worker once. With --executor: at most N trials in flight.",
    )
    @argument(
        "--executor",
        default=None,
        metavar="NAME",
        help="Run trials on NAME from the namespace: a dask.distributed.Client, an ipyparallel "
        "Client or View, or a concurrent.futures.Executor.",
    )
    @argument_group("studies")
    @argument(
        "--study",
        default=None,
        metavar="NAME",
        help="Save every trial under NAME in the --storage; running the cell again resumes it up to -n.",
    )
    @argument(
        "--storage",
        default=None,
        metavar="PATH|URL",
        help="Where studies are kept: an SQLite file (default hpmagic.sqlite in the working directory) "
        "or a URL (sqlite:///studies.sqlite; postgresql://user:password@host/db for a study "
        "several machines share).",
    )
    @argument(
        "--overwrite",
        action="store_true",
        help="Start the --study afresh; its stored trials are kept, archived as NAME@DATE-TIME, never deleted.",
    )
    @argument_group("results")
    @argument(
        "--no-apply",
        dest="apply",
        action="store_false",
        help="Leave the namespace as it was; do not bind the best values.",
    )
    @argument(
        "-q",
        "--quiet",
        action="store_true",
        help="No progress display (the live panel in a notebook, a progress line elsewhere).",
    )
    @argument("-o", "--out", default=None, metavar="NAME", help="Also bind the TuneResult to NAME.")
    @argument(
        "--log",
        default=None,
        metavar="mlflow[:URI]",
        help="Log each trial to MLflow as a run nested under one run for the search (parameters, metrics, "
        "the reported curve, the output), at URI or MLflow's own tracking URI (MLFLOW_TRACKING_URI, "
        "else its default); needs pip install 'hpmagic[mlflow]'.",
    )
    @argument(
        "-w",
        "--write-back",
        dest="write_back",
        action="store_true",
        help="Write the best values of a finished search into the cell as its defaults (floats to 4 "
        "significant digits), keeping the annotations and every other byte; the %%%%tune line becomes a "
        "comment, so the cell then runs once with them (remove the '# ' to tune again). After a search "
        "of more than 10 s the tuned cell is inserted below, leaving this one as it may have been edited.",
    )
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
        started = time.monotonic()
        words = read_line(line, shell.user_ns)
        opts = TuneOptions(**vars(self.tune.parser.parse_args(words)))
        try:
            # One blank line stands for the %%tune line, so that line numbers in annotation errors
            # and tracebacks are the editor's (the cell's first line is line 2).
            python = shell.transform_cell(cell)
            result = tune_cell("\n" + python, shell.user_ns, opts, result_name=_result_name(shell, opts))
            if isinstance(result, TuneResult):
                result = _write_back(shell, opts, result, (line, cell, python), time.monotonic() - started)
            return result
        except TrialsFailedError as exc:
            if opts.write_back:
                print(f"hpmagic: {_not_written(exc.result, opts, opts.out or '')}", file=sys.stderr)
            raise  # a bug in the cell, not in the %%tune line: shown under its own name, without hpmagic's frames
        except HpmagicError as exc:  # (the result of a failed search is not in Out[N]: only -o keeps it)
            also = (
                f"\n{_not_written(exc.result, opts, opts.out or '')}"
                if opts.write_back and isinstance(exc, SearchError)
                else ""
            )
            raise UsageError(str(exc) + also) from None
        except KeyboardInterrupt:
            # The runner handles interrupts once trials run; this is a press during set-up.
            print(
                "hpmagic: interrupted before the first trial started; nothing ran and nothing changed.", file=sys.stderr
            )
            return None

    # magic_arguments starts the help with reST's "::" (a literal block): not for %%tune? readers.
    tune.__doc__ = (tune.__doc__ or "").replace("::\n\n  ", "", 1)


#: The ends of a search whose best trial is its answer: only these are written back (-w).
FINISHED = (StopReason.BUDGET, StopReason.EXHAUSTED, StopReason.TIMEOUT, StopReason.COMPLETE)


def _write_back(
    shell: Any, opts: TuneOptions, result: TuneResult, cell: tuple[str, str, str], took: float
) -> TuneResult:
    """With ``--write-back``, hand the cell with the best values to the front end, and say in a
    note what was written, where and why (see :mod:`hpmagic.cell.writeback`); without it, a note
    telling how, when a finished search found values other than the defaults.

    ``cell`` is the ``%%tune`` line, the cell's text and its text as Python; ``took`` the
    seconds since the cell started: after :data:`~hpmagic.cell.writeback.EDIT_WINDOW`, the
    written cell goes into a new cell below, since this one may have been edited meanwhile.
    """
    from .cell import writeback

    best = result.best_params
    if best is None:
        return result  # nothing completed: nothing to write, and the summary says why
    line, text, python = cell
    problem = ""
    try:
        done = writeback.write_back(*_as_written(shell, line, text), best, python)
    except writeback.WriteBackError as exc:
        done, problem = None, str(exc)
    changed = done is None or bool(done.written)
    if not opts.write_back:
        note = writeback.HINT if changed and result.stop_reason in FINISHED else ""
    elif result.stop_reason not in FINISHED:
        note = _not_written(result, opts, _result_name(shell, opts))
    elif done is None:
        note = f"nothing was written back (-w): {problem}"
    elif not done.written:
        note = "nothing was written back (-w): the cell's defaults already are the best values found, as written"
    else:
        inserted = took > writeback.EDIT_WINDOW
        shell.set_next_input(done.text, replace=not inserted)
        note = _written_note(result, done, took if inserted else None, _result_name(shell, opts))
    if not note:
        return result
    result = dataclasses.replace(result, notes=result.notes + (note,))
    if opts.out:
        shell.user_ns[opts.out] = result
    return result


def _written_note(result: TuneResult, done: WrittenCell, took: float | None, name: str) -> str:
    """What a write-back wrote, where, and why those values (``took``: the search's seconds,
    when the cell was inserted below rather than replaced; ``name``: where the result is kept)."""
    from .cell.writeback import DIGITS

    trials = plural(_finished(result), "trial")
    why = {
        StopReason.TIMEOUT: f"the best of {trials} within the time limit",
        StopReason.EXHAUSTED: f"the best of {trials}, all the strategy had to try",
        StopReason.COMPLETE: f"the best of the study's {trials}",
    }.get(result.stop_reason, f"the best of {trials}")
    if result.pick_text:  # several objectives (or constraints): the trial the rule picked
        why = f"{result.pick_text}, of {trials}"
    note = f"wrote {done.describe()} into {'a new cell below this one' if took is not None else 'the cell'}, {why}"
    if done.rounded:
        more = (
            f", {', '.join(done.more_digits)} to more to stay in range or on the step grid" if done.more_digits else ""
        )
        note += f" (rounded to {DIGITS} significant digits{more}; {_best_params(name)} has the exact values)"
    note += "; its %%tune line is now a comment, so it runs once with them: remove the '# ' to tune again"
    if took is not None:
        note += (
            f". The search took {fmt_seconds(took)}, so this cell may have been edited meanwhile: "
            "the tuned cell was inserted below it, and this one was left as it is"
        )
    return note


def _not_written(result: TuneResult, opts: TuneOptions, name: str) -> str:
    """Why a search that did not finish wrote nothing back, and where its best values are
    (``name``: where the result is kept, "" when nowhere)."""
    done = _finished(result)
    if result.stop_reason is StopReason.FAILURES or not result.completed:
        return "nothing was written back (-w): no trial completed, so there are no best values to write"
    if opts.apply:
        held = "the values are bound in the namespace"
    elif name or result.stop_reason is not StopReason.ERROR:
        held = f"{_best_params(name)} holds them (--no-apply left the namespace as it was)"
    else:
        held = "--no-apply left them unbound (add -o NAME to keep the result of a failed search)"
    again = (
        "run the cell again to resume the study; its end writes them"
        if opts.study and not opts.overwrite
        else "run it to the end to write them"
    )
    stopped = {StopReason.INTERRUPTED: "was stopped", StopReason.ERROR: "failed"}.get(result.stop_reason, "ended early")
    return (
        f"the search {stopped} after {done} of {plural(result.budget, 'trial')}: nothing was written back (-w), "
        f"because the best of {plural(done, 'finished trial')} is not the search's answer; {held}; {again}"
    )


def _best_params(name: str) -> str:
    """``res.best_params``, ``Out[7].best_params``, or "the result's best_params" where it has no name."""
    return f"{name}.best_params" if name else "the result's best_params"


def _finished(result: TuneResult) -> int:
    """The trials that count toward the budget: complete, failed and pruned ones."""
    return sum(1 for t in result.trials if t.state.counted)


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
