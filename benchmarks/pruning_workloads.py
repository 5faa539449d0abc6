"""The four iterative scikit-learn workloads of ``benchmarks/pruning.py``.

Each workload has three faces that train the same model the same way:

- ``cell``: the notebook cell hpmagic tunes (``# tune:`` annotations, ``report`` after each
  epoch or stage, or ``hpmagic.cross_val_score``), run in a namespace made by ``data()``;
- ``suggest(trial)``: the same search space for Optuna (define-by-run), and ``train``
  called with a callback doing ``trial.report`` / ``trial.should_prune``;
- ``final(params)``: the configuration trained at full resource and scored on a held-out
  test split the search never saw, next to its last validation score (so a pruned search's
  answer is judged as fairly as an unpruned one's, and the last validation score checks
  that the cell and ``train`` agree).

The models are seeded (``random_state=0``), so a configuration is one learning curve: the
seeds of the benchmark are the searches' seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Step = Callable[[float, int], None]  # (validation score, step) -> None; may raise to stop the trial
STEPS = 27  # epochs or stages: eta 3 gives rungs at 1, 3 and 9 below the full 27


@dataclass
class Workload:
    name: str
    unit: str  # what one reported step costs: "epochs", "stages", "folds"
    steps: int  # steps of a complete trial
    cell: str
    data: Callable[[], dict[str, Any]]
    suggest: Callable[[Any], dict[str, Any]]
    train: Callable[[dict[str, Any], dict[str, Any], Step], float]  # the validation score
    test: Callable[[dict[str, Any], dict[str, Any]], tuple[float, float]]  # (last validation, test)
    folds: bool = False
    cache: dict[tuple[Any, ...], tuple[float, float]] = field(default_factory=dict)
    _data: dict[str, Any] | None = None

    def namespace(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self.data()
        return self._data

    def final(self, params: dict[str, Any]) -> tuple[float, float]:
        """(last validation score, test score) of ``params`` trained at full resource (cached)."""
        key = tuple(sorted(params.items()))
        if key not in self.cache:
            self.cache[key] = self.test(params, self.namespace())
        return self.cache[key]


def _no_step(value: float, step: int) -> None:
    pass


# -- MLP on digits, epoch by epoch -------------------------------------------------------

MLP_CELL = """
from hpmagic import report
from sklearn.neural_network import MLPClassifier
hidden = 32        # tune: logint(8, 64)
lr = 1e-3          # tune: loguniform(1e-4, 3e-1)
alpha = 1e-4       # tune: loguniform(1e-6, 1e-1)
batch_size = 64    # tune: [32, 64, 128]
model = MLPClassifier(hidden_layer_sizes=(hidden,), learning_rate_init=lr, alpha=alpha,
                      batch_size=batch_size, random_state=0)
for epoch in range(1, EPOCHS + 1):
    model.partial_fit(X_train, y_train, classes=CLASSES)
    report(model.score(X_val, y_val), epoch)
model.score(X_val, y_val)
"""


def mlp_data() -> dict[str, Any]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x = StandardScaler().fit_transform(x)
    x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(x_fit, y_fit, test_size=0.3, random_state=1, stratify=y_fit)
    return {
        "X_train": x_train,
        "y_train": y_train,
        "X_val": x_val,
        "y_val": y_val,
        "X_test": x_test,
        "y_test": y_test,
        "CLASSES": np.arange(10),
        "EPOCHS": STEPS,
    }


def mlp_suggest(trial: Any) -> dict[str, Any]:
    return {
        "hidden": trial.suggest_int("hidden", 8, 64, log=True),
        "lr": trial.suggest_float("lr", 1e-4, 3e-1, log=True),
        "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128]),
    }


def _mlp(p: dict[str, Any], d: dict[str, Any], step: Step) -> Any:
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(p["hidden"],),
        learning_rate_init=p["lr"],
        alpha=p["alpha"],
        batch_size=p["batch_size"],
        random_state=0,
    )
    for epoch in range(1, d["EPOCHS"] + 1):
        model.partial_fit(d["X_train"], d["y_train"], classes=d["CLASSES"])
        step(model.score(d["X_val"], d["y_val"]), epoch)
    return model


# -- SGD on 50,000 generated rows, epoch by epoch ------------------------------------------

SGD_CELL = """
from hpmagic import report
from sklearn.linear_model import SGDClassifier
loss = "hinge"              # tune: ["hinge", "log_loss", "modified_huber"]
alpha = 1e-4                # tune: loguniform(1e-7, 1e-1)
learning_rate = "optimal"   # tune: ["optimal", "invscaling", "adaptive"]
eta0 = 0.01                 # tune: loguniform(1e-5, 1.0)
model = SGDClassifier(loss=loss, alpha=alpha, learning_rate=learning_rate, eta0=eta0, random_state=0)
for epoch in range(1, EPOCHS + 1):
    model.partial_fit(X_train, y_train, classes=CLASSES)
    report(model.score(X_val, y_val), epoch)
model.score(X_val, y_val)
"""


def sgd_data() -> dict[str, Any]:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = make_classification(50_000, 20, n_informative=10, n_redundant=4, flip_y=0.05, class_sep=0.6, random_state=0)
    x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    x_train, x_val, y_train, y_val = train_test_split(x_fit, y_fit, test_size=1 / 3, random_state=1)
    scaler = StandardScaler().fit(x_train)
    return {
        "X_train": scaler.transform(x_train),
        "y_train": y_train,
        "X_val": scaler.transform(x_val),
        "y_val": y_val,
        "X_test": scaler.transform(x_test),
        "y_test": y_test,
        "CLASSES": np.array([0, 1]),
        "EPOCHS": STEPS,
    }


def sgd_suggest(trial: Any) -> dict[str, Any]:
    return {
        "loss": trial.suggest_categorical("loss", ["hinge", "log_loss", "modified_huber"]),
        "alpha": trial.suggest_float("alpha", 1e-7, 1e-1, log=True),
        "learning_rate": trial.suggest_categorical("learning_rate", ["optimal", "invscaling", "adaptive"]),
        "eta0": trial.suggest_float("eta0", 1e-5, 1.0, log=True),
    }


def _sgd(p: dict[str, Any], d: dict[str, Any], step: Step) -> Any:
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss=p["loss"], alpha=p["alpha"], learning_rate=p["learning_rate"], eta0=p["eta0"], random_state=0
    )
    for epoch in range(1, d["EPOCHS"] + 1):
        model.partial_fit(d["X_train"], d["y_train"], classes=d["CLASSES"])
        step(model.score(d["X_val"], d["y_val"]), epoch)
    return model


# -- gradient boosting grown stage by stage ------------------------------------------------

BOOST_CELL = """
from hpmagic import report
from sklearn.ensemble import GradientBoostingClassifier
learning_rate = 0.1   # tune: loguniform(0.01, 1.0)
max_depth = 3         # tune: int(1, 5)
subsample = 1.0       # tune: uniform(0.5, 1.0)
max_features = None   # tune: ["sqrt", None]
model = GradientBoostingClassifier(n_estimators=0, learning_rate=learning_rate, max_depth=max_depth,
                                   subsample=subsample, max_features=max_features, warm_start=True,
                                   random_state=0)
for stages in range(1, STAGES + 1):
    model.set_params(n_estimators=stages).fit(X_train, y_train)   # warm start: adds one stage
    report(model.score(X_val, y_val), stages)
model.score(X_val, y_val)
"""


def boost_data() -> dict[str, Any]:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    x, y = make_classification(2_000, 20, n_informative=8, flip_y=0.05, random_state=2)
    x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    x_train, x_val, y_train, y_val = train_test_split(x_fit, y_fit, test_size=1 / 3, random_state=1)
    return {
        "X_train": x_train,
        "y_train": y_train,
        "X_val": x_val,
        "y_val": y_val,
        "X_test": x_test,
        "y_test": y_test,
        "STAGES": STEPS,
    }


def boost_suggest(trial: Any) -> dict[str, Any]:
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 1.0, log=True),
        "max_depth": trial.suggest_int("max_depth", 1, 5),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "max_features": trial.suggest_categorical("max_features", ["sqrt", None]),
    }


def _boost(p: dict[str, Any], d: dict[str, Any], step: Step) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(
        n_estimators=0,
        learning_rate=p["learning_rate"],
        max_depth=p["max_depth"],
        subsample=p["subsample"],
        max_features=p["max_features"],
        warm_start=True,
        random_state=0,
    )
    for stages in range(1, d["STAGES"] + 1):
        model.set_params(n_estimators=stages).fit(d["X_train"], d["y_train"])
        step(model.score(d["X_val"], d["y_val"]), stages)
    return model


# -- 5-fold cross-validation of an SVC ------------------------------------------------------

SVC_CELL = """
from hpmagic import cross_val_score
from sklearn.svm import SVC
C = 1.0          # tune: loguniform(1e-2, 1e3)
gamma = 1e-3     # tune: loguniform(1e-5, 1e-1)
kernel = "rbf"   # tune: ["rbf", "sigmoid"]
cross_val_score(SVC(C=C, gamma=gamma, kernel=kernel), X_search, y_search, cv=5).mean()
"""


def svc_data() -> dict[str, Any]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_search, x_test, y_search, y_test = train_test_split(x, y, train_size=500, random_state=0, stratify=y)
    return {"X_search": x_search, "y_search": y_search, "X_test": x_test, "y_test": y_test}


def svc_suggest(trial: Any) -> dict[str, Any]:
    return {
        "C": trial.suggest_float("C", 1e-2, 1e3, log=True),
        "gamma": trial.suggest_float("gamma", 1e-5, 1e-1, log=True),
        "kernel": trial.suggest_categorical("kernel", ["rbf", "sigmoid"]),
    }


def _svc_cv(p: dict[str, Any], d: dict[str, Any], step: Step) -> float:
    """The cell's cross-validation for Optuna: the same folds (StratifiedKFold(5), no shuffle),
    each scored by scikit-learn; Optuna is told the running mean (its documented recipe)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import SVC

    x, y, scores = d["X_search"], d["y_search"], []
    for fold, split in enumerate(StratifiedKFold(5).split(x, y), start=1):
        (score,) = cross_val_score(SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"]), x, y, cv=[split])
        scores.append(score)
        step(float(np.mean(scores)), fold)
    return float(np.mean(scores))


def _svc_test(p: dict[str, Any], d: dict[str, Any]) -> tuple[float, float]:
    from sklearn.svm import SVC

    val = _svc_cv(p, d, _no_step)
    model = SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"]).fit(d["X_search"], d["y_search"])
    return val, float(model.score(d["X_test"], d["y_test"]))


def _curve_workload(
    name: str,
    unit: str,
    cell: str,
    data: Callable[[], dict[str, Any]],
    suggest: Callable[[Any], dict[str, Any]],
    fit: Callable[[dict[str, Any], dict[str, Any], Step], Any],
) -> Workload:
    def train(p: dict[str, Any], d: dict[str, Any], step: Step) -> float:
        return float(fit(p, d, step).score(d["X_val"], d["y_val"]))

    def test(p: dict[str, Any], d: dict[str, Any]) -> tuple[float, float]:
        model = fit(p, d, _no_step)
        return float(model.score(d["X_val"], d["y_val"])), float(model.score(d["X_test"], d["y_test"]))

    return Workload(name, unit, STEPS, cell, data, suggest, train, test)


def workloads() -> dict[str, Workload]:
    """The benchmark's workloads by short name."""
    return {
        "mlp": _curve_workload("MLP on digits (partial_fit)", "epochs", MLP_CELL, mlp_data, mlp_suggest, _mlp),
        "sgd": _curve_workload("SGD on 50,000 rows (partial_fit)", "epochs", SGD_CELL, sgd_data, sgd_suggest, _sgd),
        "boost": _curve_workload(
            "gradient boosting (warm start)", "stages", BOOST_CELL, boost_data, boost_suggest, _boost
        ),
        "svc": Workload(
            "SVC, 5-fold CV (cross_val_score)",
            "folds",
            5,
            SVC_CELL,
            svc_data,
            svc_suggest,
            _svc_cv,
            _svc_test,
            folds=True,
        ),
    }
