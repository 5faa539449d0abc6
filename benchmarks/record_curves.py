"""Record the learning curves that ``benchmarks/curves.py`` replays: real scikit-learn training, once.

A search of 40 trials x 10 seeds x a dozen methods cannot train live on a shared machine, so
every configuration of a grid is trained here once per repeat (training seed), and its
validation score after every epoch or stage and its test score after full training are
written to ``benchmarks/data/curves_<workload>.npz`` (compressed). ``curves.py`` replays
them: a trial's cell loops over the recorded curve of its configuration and calls
``report(v)`` each epoch, so the pruning rules see exactly what the training produced.

The grids: continuous parameters are recorded at a few log-spaced values (the search space
stays continuous and the replay snaps a value to the nearest recorded one, in log scale),
lists at each of their values. Each workload is one kind of curve the issue asks for
(issue 26); the split into a development set (defaults are tuned on it) and a confirmation
set (run only before and after a change) is in ``curves.py``.

- ``mlp``: the issue's MLP, ``MLPClassifier.partial_fit`` (adam) for 30 epochs on generated
  classification data (width, learning rate, L2, batch size).
- ``boost``: gradient boosting grown stage by stage (30 stages) on noisy labels: large
  learning rates lead after a few stages and overfit, small ones start slowly and win
  (curves that cross).
- ``sgd``: ``SGDClassifier`` with a constant learning rate, 30 epochs on 20,000 rows with
  15% flipped labels: large steps are fast and then noisy, small steps slow starters.
- ``noisy``: the MLP on other data (three classes), scored each epoch on a validation set
  of 120 rows (curves noisy by a few points), the test set large.
- ``warmup``: an MLP trained by momentum SGD whose learning rate warms up linearly over
  the first 10 epochs to its peak: a large peak learns fastest early and diverges late.

Recorded later, on other data, as the second confirmation set (``noisy`` and ``sgd``, the
first, had been looked at and joined the development set):

- ``stepdecay``: scikit-learn's digits (real 8x8 images, no download), momentum SGD at a
  constant rate divided by 10 after epoch 20 (a step schedule): the largest rates are noisy
  and behind until the step, then jump (curves that cross late). 144 configurations.
- ``longwarm``: adam whose rate rises linearly over 20 epochs on four-class generated data:
  large peaks lead for the first epochs and fall back as the rate grows; small ones start
  slowly and win (early values rank against the end until about epoch 9). 108 configurations.

Deterministic: the data, the models and the repeats are seeded. One process, one BLAS
thread; about 20 minutes of one core for the first five, 4 more for the last two (``nice -n 10 python -m benchmarks.record_curves``).

    python -m benchmarks.record_curves                 # every workload
    python -m benchmarks.record_curves mlp boost       # some
    python -m benchmarks.record_curves --dry mlp       # time a few configurations, write nothing
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
EPOCHS = 30
REPEATS = 2


def log_grid(low: float, high: float, n: int) -> list[float]:
    return [float(v) for v in np.geomspace(low, high, n)]


@dataclass
class Recording:
    """One workload's grid and how one configuration is trained.

    ``space``: parameter -> (kind, low, high, recorded values); kind is ``loguniform``,
    ``logint`` or ``list`` (then low and high are unused).  ``train(params, data, repeat)``
    yields the validation score after each of the ``EPOCHS`` steps and returns the test score.
    """

    name: str
    space: dict[str, tuple[str, float, float, list[Any]]]
    data: Callable[[], dict[str, Any]]
    train: Callable[[dict[str, Any], dict[str, Any], int], tuple[list[float], float]]

    def configs(self) -> list[dict[str, Any]]:
        keys = list(self.space)
        return [dict(zip(keys, values)) for values in itertools.product(*(s[3] for s in self.space.values()))]


def _split(x: Any, y: Any, n_train: int, n_val: int, seed: int) -> dict[str, Any]:
    from sklearn.preprocessing import StandardScaler

    order = np.random.default_rng(seed).permutation(len(y))
    tr, va, te = order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]
    scaler = StandardScaler().fit(x[tr])
    return {
        "X_train": scaler.transform(x[tr]),
        "y_train": y[tr],
        "X_val": scaler.transform(x[va]),
        "y_val": y[va],
        "X_test": scaler.transform(x[te]),
        "y_test": y[te],
        "classes": np.unique(y),
    }


# -- MLP (adam), the workload ------------------------------------------------------


def mlp_data() -> dict[str, Any]:
    from sklearn.datasets import make_classification

    x, y = make_classification(4_000, 20, n_informative=10, n_redundant=4, class_sep=0.8, flip_y=0.05, random_state=0)
    return _split(x, y, 1_000, 1_000, seed=0)


def noisy_data() -> dict[str, Any]:
    from sklearn.datasets import make_classification

    x, y = make_classification(
        3_120,
        16,
        n_informative=8,
        n_redundant=2,
        n_classes=3,
        n_clusters_per_class=2,
        class_sep=0.9,
        flip_y=0.05,
        random_state=1,
    )
    return _split(x, y, 1_000, 120, seed=1)


def mlp_train(p: dict[str, Any], d: dict[str, Any], repeat: int) -> tuple[list[float], float]:
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(int(p["width"]),),
        learning_rate_init=p["lr"],
        alpha=p["alpha"],
        batch_size=int(p["batch_size"]),
        random_state=repeat,
    )
    curve = []
    for _ in range(EPOCHS):
        model.partial_fit(d["X_train"], d["y_train"], classes=d["classes"])
        curve.append(float(model.score(d["X_val"], d["y_val"])))
    return curve, float(model.score(d["X_test"], d["y_test"]))


MLP_SPACE: dict[str, tuple[str, float, float, list[Any]]] = {
    "width": ("logint", 8, 128, [8, 16, 32, 64, 128]),
    "lr": ("loguniform", 1e-4, 0.3, log_grid(1e-4, 0.3, 8)),
    "alpha": ("loguniform", 1e-6, 1e-1, log_grid(1e-6, 1e-1, 5)),
    "batch_size": ("list", 0, 0, [32, 64, 128]),
}

# -- momentum SGD with a warm-up: large peaks diverge late -------------------------------

WARMUP = 10  # epochs over which the learning rate rises linearly to its peak


def warmup_train(p: dict[str, Any], d: dict[str, Any], repeat: int) -> tuple[list[float], float]:
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(int(p["width"]),),
        solver="sgd",
        momentum=p["momentum"],
        learning_rate_init=p["lr"] / WARMUP,
        alpha=p["alpha"],
        batch_size=64,
        random_state=repeat,
    )
    curve = []
    with np.errstate(all="ignore"):
        for epoch in range(1, EPOCHS + 1):
            model.partial_fit(d["X_train"], d["y_train"], classes=d["classes"])
            model._optimizer.learning_rate = p["lr"] * min(1.0, (epoch + 1) / WARMUP)  # the next epoch's rate
            curve.append(_score(model, d["X_val"], d["y_val"]))
        return curve, _score(model, d["X_test"], d["y_test"])


def _score(model: Any, x: Any, y: Any) -> float:
    """Accuracy; a model whose weights overflowed predicts the first class (what scikit-learn does with NaN)."""
    try:
        return float(model.score(x, y))
    except ValueError:
        return float(np.mean(y == model.classes_[0]))


WARMUP_SPACE: dict[str, tuple[str, float, float, list[Any]]] = {
    "width": ("logint", 16, 128, [16, 32, 64, 128]),
    "lr": ("loguniform", 1e-3, 3.0, log_grid(1e-3, 3.0, 10)),
    "alpha": ("loguniform", 1e-6, 1e-1, log_grid(1e-6, 1e-1, 5)),
    "momentum": ("list", 0, 0, [0.0, 0.9]),
}

# -- gradient boosting, stage by stage: curves that cross ---------------------------------


def boost_data() -> dict[str, Any]:
    from sklearn.datasets import make_classification

    x, y = make_classification(3_000, 20, n_informative=8, n_redundant=4, flip_y=0.2, class_sep=0.7, random_state=2)
    return _split(x, y, 1_000, 800, seed=2)


def boost_train(p: dict[str, Any], d: dict[str, Any], repeat: int) -> tuple[list[float], float]:
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(
        n_estimators=0,
        learning_rate=p["learning_rate"],
        max_depth=int(p["max_depth"]),
        subsample=p["subsample"],
        max_features=p["max_features"],
        warm_start=True,
        random_state=repeat,
    )
    curve = []
    for stages in range(1, EPOCHS + 1):
        model.set_params(n_estimators=stages).fit(d["X_train"], d["y_train"])
        curve.append(float(model.score(d["X_val"], d["y_val"])))
    return curve, float(model.score(d["X_test"], d["y_test"]))


BOOST_SPACE: dict[str, tuple[str, float, float, list[Any]]] = {
    "learning_rate": ("loguniform", 0.01, 1.0, log_grid(0.01, 1.0, 10)),
    "max_depth": ("logint", 1, 8, [1, 2, 3, 4, 6, 8]),
    "subsample": ("list", 0, 0, [0.5, 0.8, 1.0]),
    "max_features": ("list", 0, 0, ["sqrt", None]),
}

# -- SGD with a constant learning rate: small steps start slowly -------------------------


def sgd_data() -> dict[str, Any]:
    from sklearn.datasets import make_classification

    x, y = make_classification(26_000, 20, n_informative=10, n_redundant=4, flip_y=0.15, class_sep=0.6, random_state=3)
    return _split(x, y, 20_000, 3_000, seed=3)


def sgd_train(p: dict[str, Any], d: dict[str, Any], repeat: int) -> tuple[list[float], float]:
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss=p["loss"],
        alpha=p["alpha"],
        learning_rate="constant",
        eta0=p["eta0"],
        average=bool(p["average"]),
        random_state=repeat,
    )
    curve = []
    for _ in range(EPOCHS):
        model.partial_fit(d["X_train"], d["y_train"], classes=d["classes"])
        curve.append(float(model.score(d["X_val"], d["y_val"])))
    return curve, float(model.score(d["X_test"], d["y_test"]))


SGD_SPACE: dict[str, tuple[str, float, float, list[Any]]] = {
    "eta0": ("loguniform", 1e-5, 1.0, log_grid(1e-5, 1.0, 11)),
    "alpha": ("loguniform", 1e-7, 1e-1, log_grid(1e-7, 1e-1, 7)),
    "loss": ("list", 0, 0, ["hinge", "log_loss", "modified_huber"]),
    "average": ("list", 0, 0, [False, True]),
}

# -- confirmation set (issue 26, second round): other data, kinds not tuned on ------------

STEP_AT = 20  # the epoch after which the step schedule divides the learning rate by 10


def digits_data() -> dict[str, Any]:
    """Real data: scikit-learn's 8x8 digits (1,797 rows, no download), 700 to train, 400 to validate."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return _split(x.astype(float), y, 700, 400, seed=4)


def stepdecay_train(p: dict[str, Any], d: dict[str, Any], repeat: int) -> tuple[list[float], float]:
    """Momentum SGD at a constant rate, divided by 10 after epoch ``STEP_AT`` (a step schedule)."""
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(int(p["width"]),),
        solver="sgd",
        momentum=0.9,
        learning_rate_init=p["lr"],
        alpha=p["alpha"],
        batch_size=int(p["batch_size"]),
        random_state=repeat,
    )
    curve = []
    with np.errstate(all="ignore"):
        for epoch in range(1, EPOCHS + 1):
            model.partial_fit(d["X_train"], d["y_train"], classes=d["classes"])
            if epoch == STEP_AT:
                model._optimizer.learning_rate = p["lr"] / 10
            curve.append(_score(model, d["X_val"], d["y_val"]))
        return curve, _score(model, d["X_test"], d["y_test"])


STEPDECAY_SPACE: dict[str, tuple[str, float, float, list[Any]]] = {
    "width": ("logint", 16, 128, [16, 128]),
    "lr": ("loguniform", 1e-3, 1.0, log_grid(1e-3, 1.0, 9)),
    "alpha": ("loguniform", 1e-5, 1.0, log_grid(1e-5, 1.0, 4)),
    "batch_size": ("list", 0, 0, [32, 128]),
}

LONG_WARMUP = 20  # epochs over which adam's learning rate rises linearly to its peak


def longwarm_data() -> dict[str, Any]:
    from sklearn.datasets import make_classification

    x, y = make_classification(
        3_400,
        30,
        n_informative=12,
        n_redundant=6,
        n_classes=4,
        n_clusters_per_class=1,
        class_sep=1.0,
        flip_y=0.08,
        random_state=5,
    )
    return _split(x, y, 1_200, 600, seed=5)


def longwarm_train(p: dict[str, Any], d: dict[str, Any], repeat: int) -> tuple[list[float], float]:
    """Adam whose learning rate rises linearly over ``LONG_WARMUP`` epochs: large peaks lead, then fall back."""
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(int(p["width"]),),
        learning_rate_init=p["lr"] / LONG_WARMUP,
        alpha=p["alpha"],
        batch_size=int(p["batch_size"]),
        random_state=repeat,
    )
    curve = []
    with np.errstate(all="ignore"):
        for epoch in range(1, EPOCHS + 1):
            model.partial_fit(d["X_train"], d["y_train"], classes=d["classes"])
            model._optimizer.learning_rate_init = p["lr"] * min(1.0, (epoch + 1) / LONG_WARMUP)
            curve.append(_score(model, d["X_val"], d["y_val"]))
        return curve, _score(model, d["X_test"], d["y_test"])


LONGWARM_SPACE: dict[str, tuple[str, float, float, list[Any]]] = {
    "width": ("logint", 16, 128, [16, 128]),
    "lr": ("loguniform", 1e-3, 1.0, log_grid(1e-3, 1.0, 9)),
    "alpha": ("loguniform", 1e-6, 1e-1, log_grid(1e-6, 1e-1, 3)),
    "batch_size": ("list", 0, 0, [32, 128]),
}

RECORDINGS = {
    "mlp": Recording("mlp", MLP_SPACE, mlp_data, mlp_train),
    "boost": Recording("boost", BOOST_SPACE, boost_data, boost_train),
    "sgd": Recording("sgd", SGD_SPACE, sgd_data, sgd_train),
    "noisy": Recording("noisy", MLP_SPACE, noisy_data, mlp_train),
    "warmup": Recording("warmup", WARMUP_SPACE, mlp_data, warmup_train),
    "stepdecay": Recording("stepdecay", STEPDECAY_SPACE, digits_data, stepdecay_train),
    "longwarm": Recording("longwarm", LONGWARM_SPACE, longwarm_data, longwarm_train),
}


def record(rec: Recording, every: int = 1) -> dict[str, Any]:
    """Every configuration of ``rec`` (every ``every``-th), each repeat: curves and test scores."""
    data = rec.data()
    configs = rec.configs()[::every]
    val = np.zeros((len(configs), REPEATS, EPOCHS), dtype=np.float32)
    test = np.zeros((len(configs), REPEATS), dtype=np.float32)
    for i, params in enumerate(configs):
        for repeat in range(REPEATS):
            curve, score = rec.train(params, data, repeat)
            val[i, repeat], test[i, repeat] = curve, score
    meta = {
        "name": rec.name,
        "epochs": EPOCHS,
        "repeats": REPEATS,
        "space": rec.space,
        "val_rows": len(data["y_val"]),
        "test_rows": len(data["y_test"]),
    }
    return {"val": val, "test": test, "meta": json.dumps(meta)}


def main() -> None:
    warnings.filterwarnings("ignore")
    args = sys.argv[1:]
    dry = "--dry" in args
    names = [a for a in args if a != "--dry"] or list(RECORDINGS)
    for name in names:
        rec = RECORDINGS[name]
        start = time.perf_counter()
        out = record(rec, every=max(1, len(rec.configs()) // 8) if dry else 1)
        seconds = time.perf_counter() - start
        n = len(out["test"])
        print(
            f"{name}: {n} configurations x {REPEATS} repeats in {seconds:.0f} s "
            f"({seconds / n:.2f} s a configuration, {len(rec.configs())} in the grid)",
            flush=True,
        )
        if not dry:
            DATA.mkdir(exist_ok=True)
            np.savez_compressed(DATA / f"curves_{name}.npz", **out)


if __name__ == "__main__":
    main()
