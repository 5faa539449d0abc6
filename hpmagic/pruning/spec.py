"""``--prune RULE:NAME=VALUE,...``: the rule names, their settings, and the rule made from them.

The syntax is one word, so the magic line needs no quotes::

    %%tune --prune                       the default rule (hyperband; folds for cross_val_score)
    %%tune --prune median
    %%tune --prune asha:eta=3,min_resource=2
    tune(src, prune="hyperband:max_resource=81")

Spaces around the separators are allowed (``"asha: eta=3, min_resource=2"``, quoted on the
magic line).  ``auto`` (or nothing) names the default rule.  Pruning is off when
``--prune`` is not given (``prune=None``); ``--prune false`` (``off``, ``no``, ``none``,
``0``) is an error that says so, not a rule name to correct.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from ..errors import OptionError
from .asha import ASHAPruner
from .base import Pruner
from .folds import FoldPruner
from .hyperband import HyperbandPruner
from .median import MedianPruner

__all__ = ["PRUNERS", "DEFAULT", "DEFAULT_FOR_FOLDS", "OFF", "names", "parse_prune_spec", "make_pruner"]

PRUNERS: dict[str, type[Pruner]] = {
    "median": MedianPruner,
    "asha": ASHAPruner,
    "hyperband": HyperbandPruner,
    "folds": FoldPruner,
}

#: the rule ``--prune`` with no name uses for learning curves (docs/design/pruning.md, "Defaults, measured")
DEFAULT = "hyperband"
#: ... and for a cell whose reports are the folds of ``hpmagic.cross_val_score``
DEFAULT_FOR_FOLDS = "folds"
#: values that try to turn pruning off: an error saying that leaving ``--prune`` out does
OFF = frozenset({"false", "off", "no", "none", "0"})


def names() -> list[str]:
    """Every name ``--prune`` accepts, ``auto`` first."""
    return ["auto", *PRUNERS]


def parse_prune_spec(text: str | None) -> tuple[str | None, dict[str, str]]:
    """``"asha:eta=3,min_resource=2"`` -> ``("asha", {"eta": "3", "min_resource": "2"})``.

    The name is lower-cased; ``None``, ``""`` and ``"auto"`` give ``None`` (the default
    rule).  The settings stay strings (:func:`make_pruner` checks them).  Raises
    :class:`~hpmagic.errors.OptionError` for a setting without ``=``, an empty name or
    value, a setting given twice, settings with no rule name before them, or a value
    meant to turn pruning off (:data:`OFF`: ``false``, ``off``, ``no``, ``none``, ``0``),
    which says that pruning is off when ``--prune`` is not given.
    """
    if text is None or not text.strip():
        return None, {}
    if text.strip().lower() in OFF:
        raise OptionError(
            f"--prune {text.strip()}: pruning is already off when --prune is not given; drop the option to run every "
            "trial in full (from Python, prune=None)"
        )
    head, colon, tail = text.partition(":")
    name = head.strip().lower()
    if not name:
        raise OptionError(f"--prune {text}: name the rule before its settings, e.g. --prune asha:eta=3")
    settings: dict[str, str] = {}
    for item in tail.split(",") if colon else []:
        if not item.strip():
            continue
        key, equals, value = (part.strip() for part in item.partition("="))
        if not equals or not key or not value:
            raise OptionError(
                f"--prune {text}: {item.strip()!r} is not a setting; write each as NAME=VALUE, separated by commas, "
                "e.g. --prune asha:eta=3,min_resource=2"
            )
        if key in settings:
            raise OptionError(f"--prune {text}: {key} is given twice; give each setting once")
        settings[key] = value
    return (None if name == "auto" else name), settings


def make_pruner(name: str | None, settings: Mapping[str, object] | None = None, *, folds: bool = False) -> Pruner:
    """The rule ``name`` with ``settings`` (strings from the magic line, or numbers).

    ``None`` (or ``"auto"``) is :data:`DEFAULT` (``hyperband``), or :data:`DEFAULT_FOR_FOLDS`
    (``folds``) when ``folds`` is true, i.e. when the cell's reports are the folds of
    ``hpmagic.cross_val_score``.  Hyperband is the default for learning curves because it
    hedges against early values that mislead: ASHA alone (the top third goes on at rungs 1,
    3, 9 of a 30-epoch run) stops slow starters that win and keeps fast starters that
    diverge late, and on recorded real curves of that kind its answers fell 1.6% short of
    the unpruned search's, where Hyperband's later brackets kept the winners; its rungs record
    the mean of a trial's last three points (``smooth=3``), so a noisy curve's one lucky point
    does not carry a trial on (docs/design/pruning.md, "The rung's measure").  Like ASHA it
    needs no knowledge of the trial count or the curve's length (``max_resource`` is
    learned) and it is asynchronous, so it works the same with
    ``--jobs`` and on a cluster.  Raises :class:`~hpmagic.errors.OptionError` for an
    unknown rule or setting (with the closest name and the list) and for a value out of its
    range (with the range).
    """
    key = (name or "auto").strip().lower()
    if key == "auto":
        key = DEFAULT_FOR_FOLDS if folds else DEFAULT
    if key not in PRUNERS:
        close = difflib.get_close_matches(key, names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise OptionError(f"--prune: unknown rule {name!r}{hint}; use one of {', '.join(names())}")
    rule = PRUNERS[key]
    known = [s.name for s in rule.SETTINGS]
    values = {s.name: s.default for s in rule.SETTINGS}
    for setting, value in (settings or {}).items():
        if setting not in known:
            close = difflib.get_close_matches(setting, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            listed = ", ".join(f"{s.name} ({s.rule()}; default {_default(s.default)})" for s in rule.SETTINGS)
            raise OptionError(f"--prune {key} has no setting {setting!r}{hint}; its settings: {listed}")
        values[setting] = value
    return rule(**values)


def _default(value: object) -> str:
    if value is None:
        return "auto"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
