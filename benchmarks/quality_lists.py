"""List-valued and many-categorical problems for ``benchmarks/quality.py`` (issue 14).

Each problem is a table: every configuration of its (finite) space is evaluated once with a
real scikit-learn model, and the losses are stored in a JSON file under ``benchmarks/.cache``
(gitignored).  The first run builds the list-valued tables (minutes on two cores: 980
configurations); later runs read them, so a search costs one dictionary look-up per trial and
the optimum is known exactly.  The many-categorical table (15,625 configurations, over an hour
to build) is filled as searches visit it (``python -m benchmarks.quality_lists pipe-wine``
builds it whole).

- ``mlp-digits`` (list-valued): ``MLPClassifier`` with one hidden layer on standardised digits,
  trained on the first 1,000 images for 15 epochs, loss = error on the other 797.  The lists are
  the kind copied from a paper: ``n_units`` in ``[16, 32, 64, 128, 256, 512]``, ``lr`` in
  ``[5e-4, 1e-3, 5e-3, 1e-2]``, ``batch`` in ``[8, 16, 32, 64]``, ``alpha`` in
  ``[1e-5, 1e-4, 1e-3, 1e-2, 1e-1]`` (480 configurations).
- ``hgb-wine`` (list-valued): ``HistGradientBoostingClassifier`` on wine, loss = 1 -
  mean 3-fold cross-validated accuracy; ``learning_rate`` ``[0.01, 0.03, 0.1, 0.3]``,
  ``max_leaf_nodes`` ``[4, 8, 16, 32, 64]``, ``min_samples_leaf`` ``[2, 5, 10, 20, 50]``,
  ``l2`` ``[0, 0.01, 0.1, 1, 10]`` (a list with 0: ordinal on a linear scale; 500 configurations).
- ``pipe-wine`` (many-categorical): a pipeline of six steps, five named options each (scaler,
  feature expansion, reduction, second scaler, model, regularisation strength), on wine,
  loss = 1 - mean 3-fold cross-validated accuracy (15,625 configurations).
"""

from __future__ import annotations

import atexit
import itertools
import json
import math
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

MLP_LISTS = {
    "n_units": [16, 32, 64, 128, 256, 512],
    "lr": [5e-4, 1e-3, 5e-3, 1e-2],
    "batch": [8, 16, 32, 64],
    "alpha": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
}
MLP_DEFAULTS = {"n_units": 64, "lr": 1e-3, "batch": 32, "alpha": 1e-4}
HGB_LISTS = {
    "learning_rate": [0.01, 0.03, 0.1, 0.3],
    "max_leaf_nodes": [4, 8, 16, 32, 64],
    "min_samples_leaf": [2, 5, 10, 20, 50],
    "l2": [0, 0.01, 0.1, 1, 10],
}
HGB_DEFAULTS = {"learning_rate": 0.1, "max_leaf_nodes": 32, "min_samples_leaf": 20, "l2": 0}
PIPE_LISTS = {
    "scaler": ["none", "standard", "minmax", "robust", "quantile"],
    "expand": ["none", "poly", "spline", "nystroem", "log"],
    "reduce": ["none", "pca5", "pca15", "kbest5", "kbest15"],
    "post": ["none", "standard", "minmax", "normalize", "maxabs"],
    "model": ["logreg", "knn", "tree", "nb", "ridge"],
    "strength": ["xs", "s", "m", "l", "xl"],
}
PIPE_DEFAULTS = {
    "scaler": "standard",
    "expand": "none",
    "reduce": "none",
    "post": "none",
    "model": "logreg",
    "strength": "m",
}
LIST_VALUED = ("mlp-digits", "hgb-wine")
MANY_CATEGORICAL = ("pipe-wine",)


def _key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def _mlp_loss(p: dict[str, Any], data: dict[str, Any]) -> float:
    from sklearn.neural_network import MLPClassifier

    if "digits" not in data:
        from sklearn import datasets
        from sklearn.preprocessing import StandardScaler

        X, y = datasets.load_digits(return_X_y=True)
        X = StandardScaler().fit(X[:1000]).transform(X)
        data["digits"] = (X[:1000], y[:1000], X[1000:], y[1000:])
    Xt, yt, Xv, yv = data["digits"]
    model = MLPClassifier(
        (p["n_units"],),
        learning_rate_init=p["lr"],
        batch_size=p["batch"],
        alpha=p["alpha"],
        max_iter=15,
        random_state=0,
    )
    return 1.0 - float(model.fit(Xt, yt).score(Xv, yv))


def _wine(data: dict[str, Any]) -> tuple[Any, Any]:
    if "wine" not in data:
        from sklearn import datasets

        data["wine"] = datasets.load_wine(return_X_y=True)
    return data["wine"]


def _cv_error(model: Any, data: dict[str, Any]) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y = _wine(data)
    return 1.0 - float(cross_val_score(model, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0)).mean())


def _hgb_loss(p: dict[str, Any], data: dict[str, Any]) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return _cv_error(
        HistGradientBoostingClassifier(
            learning_rate=p["learning_rate"],
            max_leaf_nodes=p["max_leaf_nodes"],
            min_samples_leaf=p["min_samples_leaf"],
            l2_regularization=p["l2"],
            max_iter=60,
            early_stopping=False,
            random_state=0,
        ),
        data,
    )


def _pipe_step(kind: str, option: str) -> Any:
    import numpy as np
    from sklearn import decomposition, feature_selection, kernel_approximation, preprocessing

    if option == "none":
        return "passthrough"
    steps: dict[str, dict[str, Callable[[], Any]]] = {
        "scaler": {
            "standard": preprocessing.StandardScaler,
            "minmax": preprocessing.MinMaxScaler,
            "robust": preprocessing.RobustScaler,
            "quantile": lambda: preprocessing.QuantileTransformer(n_quantiles=100, output_distribution="normal"),
        },
        "expand": {
            "poly": lambda: preprocessing.PolynomialFeatures(2, interaction_only=True, include_bias=False),
            "spline": lambda: preprocessing.SplineTransformer(n_knots=4, degree=2),
            "nystroem": lambda: kernel_approximation.Nystroem(n_components=50, random_state=0),
            "log": lambda: preprocessing.FunctionTransformer(lambda X: np.sign(X) * np.log1p(np.abs(X))),
        },
        "reduce": {
            "pca5": lambda: decomposition.PCA(5, random_state=0),
            "pca15": lambda: decomposition.PCA(15, random_state=0),
            "kbest5": lambda: feature_selection.SelectKBest(k=5),
            "kbest15": lambda: feature_selection.SelectKBest(k=15),
        },
        "post": {
            "standard": preprocessing.StandardScaler,
            "minmax": preprocessing.MinMaxScaler,
            "normalize": preprocessing.Normalizer,
            "maxabs": preprocessing.MaxAbsScaler,
        },
    }
    return steps[kind][option]()


def _pipe_model(model: str, strength: str) -> Any:
    from sklearn import linear_model, naive_bayes, neighbors, tree

    level = PIPE_LISTS["strength"].index(strength)  # 0 = least regularised ("xs") ... 4 = most ("xl")
    if model == "logreg":
        return linear_model.LogisticRegression(C=10.0 ** (2 - level), max_iter=200)
    if model == "knn":
        return neighbors.KNeighborsClassifier(n_neighbors=(1, 3, 9, 27, 81)[level])
    if model == "tree":
        return tree.DecisionTreeClassifier(max_depth=(None, 8, 4, 2, 1)[level], random_state=0)
    if model == "nb":
        return naive_bayes.GaussianNB(var_smoothing=10.0 ** (-9 + 2 * level))
    return linear_model.RidgeClassifier(alpha=10.0 ** (level - 2))


def _pipe_loss(p: dict[str, Any], data: dict[str, Any]) -> float:
    from sklearn.pipeline import Pipeline

    steps = [(kind, _pipe_step(kind, p[kind])) for kind in ("scaler", "expand", "reduce", "post")]
    try:
        return _cv_error(Pipeline([*steps, ("model", _pipe_model(p["model"], p["strength"]))]), data)
    except ValueError:  # a pipeline that cannot be fitted counts as a total failure
        return 1.0


TABLES: dict[str, tuple[dict[str, list[Any]], Callable[[dict[str, Any], dict[str, Any]], float]]] = {
    "mlp-digits": (MLP_LISTS, _mlp_loss),
    "hgb-wine": (HGB_LISTS, _hgb_loss),
    "pipe-wine": (PIPE_LISTS, _pipe_loss),
}


def table(name: str, cache_dir: Path) -> dict[str, float]:
    """Every configuration's loss for problem ``name``, built once and kept in ``cache_dir``."""
    path = cache_dir / f"quality-table-{name}.json"
    data: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}
    lists, loss = TABLES[name]
    names = list(lists)
    todo = [dict(zip(names, values)) for values in itertools.product(*lists.values())]
    todo = [p for p in todo if _key(p) not in data]
    if todo:
        print(
            f"building the {name} table: {len(todo)} configurations (once; kept in {path})", file=sys.stderr, flush=True
        )
        loaded: dict[str, Any] = {}
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i, p in enumerate(todo, 1):
                data[_key(p)] = loss(p, loaded)
                if i % 200 == 0 or i == len(todo):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.with_suffix(".tmp").write_text(json.dumps(data))
                    path.with_suffix(".tmp").replace(path)
                    print(
                        f"  {name}: {i}/{len(todo)} in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True
                    )
    return data


def _annotation(name: str, values: list[Any], default: Any) -> str:
    return f"{name} = {default!r}  # tune: {values!r}"


def problems(cache_dir: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """The keyword arguments of ``quality.Problem`` (all but the name) for each of ``names``.

    The two list-valued tables are built in full first (their optimum is then known); the
    many-categorical one is filled as searches visit it, and scored like the cross-validated
    problems (``costly``: random search's mean and the best found) until it is complete."""
    out = {}
    defaults_of = {"mlp-digits": MLP_DEFAULTS, "hgb-wine": HGB_DEFAULTS, "pipe-wine": PIPE_DEFAULTS}
    for name in names:
        lists, defaults = TABLES[name][0], defaults_of[name]
        if name in LIST_VALUED:
            table(name, cache_dir)
        lookup = _Lookup(name, cache_dir)
        out[name] = {
            "cell": "\n".join(_annotation(k, v, defaults[k]) for k, v in lists.items())
            + "\nobjective(dict("
            + ", ".join(f"{k}={k}" for k in lists)
            + "))\n",
            "objective": lookup,
            "optuna": _optuna_space(lists),
            "hyperopt": _hyperopt_space(lists),
            "optimum": min(lookup.data.values()) if lookup.complete else None,
            "costly": not lookup.complete,
        }
    return out


class _Lookup:
    """The objective of a table problem: the stored loss of a configuration, computed (and kept)
    on first use when the table is not complete; saved, merged with the file, at exit."""

    def __init__(self, name: str, cache_dir: Path):
        self.name, self.path = name, cache_dir / f"quality-table-{name}.json"
        self.data: dict[str, float] = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.new: dict[str, float] = {}
        self.loaded: dict[str, Any] = {}
        atexit.register(self.save)

    @property
    def complete(self) -> bool:
        return len(self.data) == math.prod(len(v) for v in TABLES[self.name][0].values())

    def __call__(self, params: dict[str, Any]) -> float:
        lists, loss = TABLES[self.name]
        # the list's own value (an int stays an int in the key even when a float 16.0 comes in)
        clean = {k: next(v for v in lists[k] if v == params[k]) for k in lists}
        key = _key(clean)
        if key not in self.data:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.data[key] = self.new[key] = loss(clean, self.loaded)
        return self.data[key]

    def save(self) -> None:
        if self.new:
            stored = json.loads(self.path.read_text()) if self.path.exists() else {}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.with_suffix(".tmp").write_text(json.dumps({**stored, **self.new}))
            self.path.with_suffix(".tmp").replace(self.path)
            self.new = {}


def _optuna_space(lists: dict[str, list[Any]]) -> Callable[[Any], dict[str, Any]]:
    return lambda t: {k: t.suggest_categorical(k, v) for k, v in lists.items()}


def _hyperopt_space(lists: dict[str, list[Any]]) -> Callable[[], Any]:
    def space() -> Any:
        from hyperopt import hp

        return {k: hp.choice(k, v) for k, v in lists.items()}

    return space


if __name__ == "__main__":  # build the tables: python -m benchmarks.quality_lists [NAME ...]
    for problem in sys.argv[1:] or list(TABLES):
        table(problem, Path(__file__).with_name(".cache"))
