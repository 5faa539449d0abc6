"""Which way is better, when the user did not say: read from what the cell returns.

A tuner that minimises an accuracy reports the chance-level model as a success, so a
search with neither ``--maximize`` nor ``--minimize`` does not simply minimise: it reads
the cell's code (never runs it) and infers the direction where the objective says it
(:func:`infer`), as Keras Tuner infers it from a metric's name.  :func:`settle` then
decides, and says in one phrase why, for the summary's headline.

What is recognised, on the objective's expression (the cell's last expression, or with
``--metric NAME`` the dict key or the variable ``NAME``):

- **calls** by their function's name: ``cross_val_score`` (scikit-learn's or hpmagic's:
  fold scores), ``estimator.score``, and any name read by the rule below
  (``accuracy_score``, ``f1_score``, ``r2_score``: higher; ``mean_squared_error``,
  ``log_loss``, ``hinge_loss``: lower).  ``cross_validate`` returns a dict whose first key is
  ``fit_time``: without ``--metric`` that is an error (:func:`check_cross_validate`), with
  ``--metric test_score`` the key's name decides;
- **names**: a dict key (``{"accuracy": ...}``), a subscript key
  (``history.history["val_loss"][-1]``), an attribute (``search.best_score_``), a variable
  (followed to its last top-level assignment in the cell, else read by its name);
- **wrappers that keep the direction**: ``.mean()``, ``np.mean(...)``, ``np.median``,
  ``float(...)``, ``round(...)``, ``min``/``max``, ``.item()``, ``sum``; **and those that turn
  it**: ``-x``, ``1 - x``, ``x * -1``.  Sums and differences agree or say nothing.

The name rule reads a name's words (split at ``_``), after a leading ``test_``, ``train_``,
``val_``, ``valid_``, ``validation_``, ``eval_``, ``mean_``, ``best_``: a leading ``neg_``
(scikit-learn's negated scorers, ``neg_mean_squared_error``) is higher-is-better; otherwise
the last word that is known decides (:data:`HIGHER`, :data:`LOWER`), and a few names are
exceptions (:data:`EXCEPTIONS`: ``davies_bouldin_score`` is lower-is-better).  Anything else
says nothing, and the search minimises, as it always did, saying so.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..core import Direction
from ..errors import OptionError
from ..objectives import Constraint, Goal, Objective

__all__ = [
    "Inference",
    "Settled",
    "infer",
    "settle",
    "settle_goal",
    "direction_of_name",
    "check_cross_validate",
    "check_names",
    "HIGHER",
    "LOWER",
    "EXCEPTIONS",
]

#: Words of a name that mean higher is better.
HIGHER = frozenset(
    {
        "accuracy",
        "acc",
        "auc",
        "auroc",
        "auprc",
        "f1",
        "fbeta",
        "precision",
        "recall",
        "r2",
        "score",
        "scores",
        "ap",
        "map",
        "mcc",
        "corrcoef",
        "kappa",
        "iou",
        "dice",
        "jaccard",
        "bleu",
        "rouge",
        "meteor",
        "reward",
        "rewards",
        "likelihood",
        "loglik",
        "loglikelihood",
        "elbo",
        "sharpe",
        "ndcg",
        "dcg",
        "silhouette",
        "specificity",
        "sensitivity",
        "gain",
        "profit",
        "utility",
        "fitness",
        "top1",
        "top5",
    }
)
#: Words of a name that mean lower is better.
LOWER = frozenset(
    {
        "loss",
        "losses",
        "error",
        "errors",
        "err",
        "mse",
        "rmse",
        "mae",
        "mape",
        "smape",
        "msle",
        "rmsle",
        "nll",
        "logloss",
        "perplexity",
        "ppl",
        "cost",
        "regret",
        "latency",
        "time",
        "runtime",
        "seconds",
        "duration",
        "deviance",
        "brier",
        "wer",
        "cer",
        "bic",
        "aic",
        "distance",
        "risk",
        "size",
        "memory",
    }
)
#: Whole names the word rule would read the wrong way.
EXCEPTIONS = {"davies_bouldin_score": Direction.MINIMIZE}
_PREFIXES = ("test_", "train_", "val_", "valid_", "validation_", "eval_", "mean_", "best_", "final_")
#: Calls that keep their argument's (or their object's) direction.
_KEEP = frozenset(
    {
        "mean",
        "nanmean",
        "median",
        "nanmedian",
        "average",
        "fmean",
        "min",
        "max",
        "nanmin",
        "nanmax",
        "amin",
        "amax",
        "float",
        "round",
        "item",
        "squeeze",
        "ravel",
        "flatten",
        "asarray",
        "array",
        "tolist",
        "sum",
        "nansum",
        "float64",
        "float32",
        "mean_",
        "values",
        "to_numpy",
    }
)
_DEPTH = 8  # how far variables are followed (a = b; b = c; ...)


@dataclass(frozen=True)
class Inference:
    """What the objective says of the direction: ``direction``, and ``what`` says where that
    comes from, as a clause ("the cell returns cross_val_score fold scores")."""

    direction: Direction
    what: str


@dataclass(frozen=True)
class Settled:
    """The direction a search runs in and ``why``, one phrase for the headline
    ("maximizing: the cell returns cross_val_score fold scores (higher is better); --minimize to
    override").  ``inferred`` is True when no direction option was given; ``doubt`` is a note
    when an option contradicts what the objective says ("" otherwise)."""

    direction: Direction
    why: str
    inferred: bool = False
    doubt: str = ""


def direction_of_name(name: str) -> Direction | None:
    """The direction a metric's ``name`` says (``val_accuracy``: higher, ``fit_time``: lower), or ``None``."""
    text = name.strip().lower().rstrip("_").replace("-", "_").replace(" ", "_")
    changed = True
    while changed and text not in EXCEPTIONS:
        changed = False
        for prefix in _PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                text, changed = text[len(prefix) :], True
    if text in EXCEPTIONS:
        return EXCEPTIONS[text]
    if text.startswith("neg_"):
        return Direction.MAXIMIZE  # scikit-learn's negated losses: higher is better
    for word in reversed([w for w in text.split("_") if w]):
        if word in HIGHER:
            return Direction.MAXIMIZE
        if word in LOWER:
            return Direction.MINIMIZE
    return None


def _kind(direction: Direction) -> str:
    return "a score" if direction.maximize else "a loss or a cost"


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _constant(node: ast.expr) -> float | None:
    """A number literal (``2``, ``-1``, ``1e-3``), else ``None``."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _flip(found: Inference | None, prefix: str = "minus ") -> Inference | None:
    if found is None:
        return None
    other = Direction.MINIMIZE if found.direction.maximize else Direction.MAXIMIZE
    return Inference(other, prefix + found.what)


class _Reader:
    """Reads one expression of the cell as a noun phrase ("cross_val_score fold scores"),
    following variables to their last top-level assignment."""

    def __init__(self, module: ast.Module):
        self.assigned: dict[str, ast.expr] = {}
        for stmt in module.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.assigned[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                self.assigned[stmt.target.id] = stmt.value

    def read(self, node: ast.expr | None, depth: int = 0) -> Inference | None:
        if node is None or depth > _DEPTH:
            return None
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return _flip(self.read(node.operand, depth + 1))
            return self.read(node.operand, depth + 1) if isinstance(node.op, ast.UAdd) else None
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return self.named(key.value, f"the entry {key.value!r}")
            return self.read(node.value, depth + 1)
        if isinstance(node, ast.Attribute):
            if node.attr in ("values", "T"):
                return self.read(node.value, depth + 1)
            return self.named(node.attr, ast.unparse(node))
        if isinstance(node, ast.Name):
            return self.variable(node.id, depth)
        if isinstance(node, ast.Dict):
            return self.dict_key(node, None, depth)
        return None

    def named(self, name: str, what: str) -> Inference | None:
        direction = direction_of_name(name)
        return None if direction is None else Inference(direction, f"{what}, a name for {_kind(direction)}")

    def variable(self, name: str, depth: int) -> Inference | None:
        found = self.read(self.assigned.get(name), depth + 1)  # what it holds, before its name
        if found is not None:
            return Inference(found.direction, f"{name}, from {found.what}")
        return self.named(name, name)

    def dict_key(self, node: ast.Dict, key: str | None, depth: int) -> Inference | None:
        """The entry ``key`` of a dict literal (its first entry for ``None``): its name, else its value."""
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and isinstance(k.value, str) and (key is None or k.value == key):
                where = "first key" if key is None else "key"
                # what the entry holds (a call, an expression) says more than the key the user gave it; a
                # variable of the notebook's says less
                plain = isinstance(v, ast.Name) and v.id not in self.assigned
                found = None if plain else self.read(v, depth + 1)
                if found is not None:
                    return Inference(found.direction, f"a dict whose {k.value!r} is {found.what}")
                named = self.named(k.value, f"a dict whose {where} is {k.value!r}")
                found = named or self.read(v, depth + 1)
                return (
                    found
                    if named or found is None
                    else Inference(found.direction, f"a dict whose {k.value!r} is {found.what}")
                )
            if key is None:
                return None  # the first entry has no plain name
        return None

    def _binary(self, node: ast.BinOp, depth: int) -> Inference | None:
        left, right = _constant(node.left), _constant(node.right)
        if isinstance(node.op, (ast.Mult, ast.Div)):
            factor, other = (left, node.right) if left is not None else (right, node.left)
            if factor is None or factor == 0 or (isinstance(node.op, ast.Div) and left is not None):
                return None  # no constant factor, or 1 / x
            found = self.read(other, depth + 1)
            return _flip(found) if factor < 0 else found
        if not isinstance(node.op, (ast.Add, ast.Sub)):
            return None
        a = None if left is not None else self.read(node.left, depth + 1)
        b = None if right is not None else self.read(node.right, depth + 1)
        if isinstance(node.op, ast.Sub):
            b = _flip(b, f"{ast.unparse(node.left)} minus " if left is not None else "minus ")
        known = [f for f in (a, b) if f is not None]
        if not known or len({f.direction for f in known}) > 1:
            return None  # nothing known, or terms that disagree
        return known[0]

    def _call(self, node: ast.Call, depth: int) -> Inference | None:
        name, func = _call_name(node), node.func
        if name == "cross_val_score":
            return Inference(Direction.MAXIMIZE, "cross_val_score fold scores")
        if name in _KEEP:
            # a method (scores.mean()) keeps its object's direction; a function (np.mean(scores),
            # float(x)) its first argument's: np, statistics, ... are not variables of the cell
            if isinstance(func, ast.Attribute) and (
                not node.args or not isinstance(func.value, ast.Name) or func.value.id in self.assigned
            ):
                return self.read(func.value, depth + 1)
            return self.read(node.args[0] if node.args else None, depth + 1)
        if name == "cross_validate":
            return None  # a dict: --metric names its key (check_cross_validate)
        direction = direction_of_name(name)
        if direction is None:
            return None
        shown = f"{ast.unparse(func)}(...)"
        return Inference(direction, shown if len(shown) <= 40 else f"{name}(...)")


def _last_expression(module: ast.Module) -> ast.expr | None:
    last = module.body[-1] if module.body else None
    return last.value if isinstance(last, ast.Expr) else None


def infer(source: str, metric: str | None = None) -> Inference | None:
    """What the cell's objective says of the direction, or ``None`` when it says nothing.

    ``source`` is the cell as Python (IPython's transformed text); ``metric`` the
    ``--metric`` name.  The code is parsed, never run.
    """
    try:
        module = ast.parse(source)
    except SyntaxError:
        return None
    reader, last = _Reader(module), _last_expression(module)
    if metric is None:
        found = reader.read(last)
        return None if found is None else Inference(found.direction, f"the cell returns {found.what}")
    value = None
    if isinstance(last, ast.Dict):
        value = next(
            (v for k, v in zip(last.keys, last.values) if isinstance(k, ast.Constant) and k.value == metric), None
        )
    found = reader.read(value if value is not None else reader.assigned.get(metric))
    if found is not None:  # what it holds says more than the name the user gave it
        return Inference(found.direction, f"--metric {metric} is {found.what}")
    return reader.named(metric, f"--metric {metric}")


def check_cross_validate(source: str, metric: str | None) -> None:
    """An :class:`~hpmagic.errors.OptionError` when the cell ends in ``cross_validate(...)``
    without ``--metric``: its dict's first key, the objective, would be ``fit_time``."""
    if metric is not None:
        return
    try:
        last = _last_expression(ast.parse(source))
    except SyntaxError:
        return
    if isinstance(last, ast.Call) and _call_name(last) == "cross_validate":
        raise OptionError(
            "the cell returns cross_validate(...)'s dict, whose first key, fit_time, would be the objective; "
            "name the score with --metric test_score (test_<scorer> with several scorers), or end the cell "
            "with cross_val_score(...)"
        )


def _better(direction: Direction) -> str:
    return "higher is better" if direction.maximize else "lower is better"


def settle(maximize: bool, minimize: bool, found: Inference | None) -> Settled:
    """The direction of a search: the option given, else the inferred one, else minimize; with the phrase saying why."""
    if maximize or minimize:
        chosen = Direction.MAXIMIZE if maximize else Direction.MINIMIZE
        why = f"{_verb(chosen)} (--{chosen.value})"
        doubt = ""
        if found is not None and found.direction is not chosen:
            doubt = (
                f"--{chosen.value} was given, but {found.what}, for which {_better(found.direction)}: "
                f"check the direction (this search ranked its trials by --{chosen.value})"
            )
        return Settled(chosen, why, inferred=False, doubt=doubt)
    if found is None:
        return Settled(
            Direction.MINIMIZE,
            "minimizing (the default: nothing in the cell says which way is better; --maximize if higher is better)",
            inferred=True,
        )
    other = "minimize" if found.direction.maximize else "maximize"
    return Settled(
        found.direction,
        f"{_verb(found.direction)}: {found.what} ({_better(found.direction)}); --{other} to override",
        inferred=True,
    )


def _verb(direction: Direction) -> str:
    return "maximizing" if direction.maximize else "minimizing"


def settle_goal(
    source: str,
    named: list[Objective],
    constraints: tuple[Constraint, ...],
    maximize: bool,
    minimize: bool,
    metric: str | None,
) -> tuple[Settled, Goal]:
    """The direction of the search (the first objective's, and why) and its whole goal.

    ``named`` holds the objectives ``--maximize NAME`` / ``--minimize NAME`` named (empty: the
    cell's value, or ``metric``, in the direction :func:`settle` decides)."""
    if not named:
        way = settle(maximize, minimize, infer(source, metric))
        return way, Goal((Objective(metric, way.direction),), constraints)
    goal = Goal(tuple(named), constraints)
    first = named[0].direction
    if goal.multi:
        options = " ".join(f"--{o.direction.value} {o.name}" for o in named)
        return Settled(first, f"{len(named)} objectives: the Pareto front, one trial of it bound ({options})"), goal
    return settle(first.maximize, not first.maximize, infer(source, metric)), goal


def check_names(module: ast.Module, has_expression: bool, given: list[tuple[str, str]]) -> None:
    """An :class:`~hpmagic.errors.OptionError` for a name (of ``given``: (the option, the name)) that no
    trial can produce: the cell never uses it as a variable, and it ends in no expression or in a dict
    display without that key."""
    used = {node.id for node in ast.walk(module) if isinstance(node, ast.Name)}
    last = _last_expression(module) if has_expression else None
    keys = None
    if isinstance(last, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in last.keys):
        keys = [k.value for k in last.keys if isinstance(k, ast.Constant)]
    for option, name in given:
        if name in used or (has_expression and keys is None) or (keys is not None and name in keys):
            continue
        if option.startswith("--metric") and has_expression:
            continue  # as it always was: a trial fails naming the dict's keys
        if keys is None:
            raise OptionError(
                f"{option}: the cell never uses a variable {name!r} and ends in no expression, "
                f"so every trial would read the notebook's {name!r} unchanged; set it in the cell "
                f"(e.g. `{name} = score`) or end the cell with the objective"
            )
        raise OptionError(
            f"{option}: the cell returns a dict with the keys {', '.join(map(repr, keys))} and sets no "
            f"variable {name!r}; add the key {name!r} to the dict, or name one of its keys"
        )
