"""Record the HPO tables of ``benchmarks/tables.py`` from real scikit-learn fits (issue 26).

Public tabular benchmarks (FCNet, NAS-Bench-201) need a download; these are recorded here
instead, deterministically, and committed compressed under ``benchmarks/data/`` (one
``.npz`` per table).  Re-run with

    nice -n 10 python -m benchmarks.record_tables            # every table (about 15-30 min, one core)
    nice -n 10 python -m benchmarks.record_tables fcnet-wine  # one table

Each table stores, for every configuration of its finite space, the validation error
(1 - accuracy) of ``REPEATS`` real fits that differ only in their training seed (weight
initialisation and shuffling, or the random weights of the network's operations).  A search
sees one repeat drawn at random per evaluation; its answer is judged by the mean over the
repeats, as HPOBench does.

**FCNet-style tables** (9 parameters, every one a list or a categorical; ``FCNET_SPACE``):
``MLPClassifier`` with two hidden layers trained by ``partial_fit`` on a few hundred samples,
its validation error read after 4, 8 and 16 epochs (one run gives the three ``epochs`` values).
Large learning rates diverge (the weights become non-finite: the error of always predicting the
most frequent class is recorded), ``sgd`` with ``invscaling`` and a small rate barely moves,
``logistic`` units need larger rates: the table has dead regions and interactions.  ``schedule``
only matters for ``sgd`` (``adam`` ignores it; its runs are shared, as FCNet's tables have
parameters that matter only with others).  Five datasets: ``digits`` (10 classes, 360 samples
to train), ``cancer`` (breast cancer, 2 classes), ``wine`` (3 classes, 90 samples to train),
``noisy`` (``make_classification`` with 15% flipped labels, 4 classes) and ``quantiles``
(``make_gaussian_quantiles``: 3 classes as nested shells around the origin in 6 dimensions, six
columns of pure noise beside them, 300 samples to train; a radial boundary that no linear
readout finds, unlike the others' clusters).

**Architecture tables** (six categorical parameters of five options each, 15,625
configurations; ``NAS_OPS``): a cell in the manner of NAS-Bench-201, four nodes, each of the
six edges ``i -> j`` (``i < j``) one of five operations, node ``j`` the sum of its incoming
edges, node 0 a fixed stem.  The operations' weights are random (drawn from the repeat's seed,
one set per edge and operation) and the readout, a ``RidgeClassifier`` on the last node, is
fitted: a random-feature network whose architecture decides what the readout can separate.
``nas-digits`` works on 8x8 digit images (1,000 to train) with eight channels (none, skip, 1x1
convolution, 3x3 convolution, 3x3 average pooling; each convolution is ReLU -> convolution ->
batch normalisation, as there; the readout sees the last node 2x2-average-pooled);
``nas-blobs`` on a generated tabular set of five classes in three clusters each (1,000 to
train), 96 units per node (none, skip, linear, ReLU -> linear, cosine -> linear, each followed by
batch normalisation); ``nas-hastie`` the same operations on ``make_hastie_10_2`` (two
classes split by the sum of squares of ten Gaussian features, 1,000 to train): a target no
single operation represents, where products of the random features must build a square.  A cell whose last node receives nothing (all ``none`` into it, or only
from dead nodes) predicts one class.  Wider nodes and more training samples than the first
recording (4 channels, 32 units) cut the repeats' disagreement, which was as large as the
spread of the table's better half: a search's answer was then luck more than search.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

DATA_DIR = Path(__file__).with_name("data")
REPEATS = 2
TABULAR_WIDTH = 96  # units of every node of nas-blobs
IMAGE_CHANNELS = 8  # channels of every node of nas-digits
EPOCHS = [4, 8, 16]
FCNET_SPACE: dict[str, list[Any]] = {
    "n_units_1": [8, 32, 128],
    "n_units_2": [8, 32],
    "activation": ["relu", "tanh", "logistic"],
    "optimizer": ["adam", "sgd"],
    "schedule": ["constant", "invscaling"],
    "learning_rate": [0.001, 0.01, 0.1, 1.0],
    "batch_size": [32, 128],
    "alpha": [0.0001, 0.1],
    "epochs": EPOCHS,
}
FCNET_DATASETS = ("digits", "cancer", "wine", "noisy", "quantiles")
NAS_EDGES = ("edge_0_1", "edge_0_2", "edge_1_2", "edge_0_3", "edge_1_3", "edge_2_3")
NAS_OPS = {
    "nas-digits": ["none", "skip", "conv1x1", "conv3x3", "avgpool"],
    "nas-blobs": ["none", "skip", "linear", "relu", "cosine"],
    "nas-hastie": ["none", "skip", "linear", "relu", "cosine"],
}
NAS_DATA = {"nas-digits": "digits-1000", "nas-blobs": "blobs", "nas-hastie": "hastie"}
TABLES = tuple(f"fcnet-{d}" for d in FCNET_DATASETS) + tuple(NAS_OPS)


# ---------------------------------------------------------------------------------------
# Data: a fixed split per dataset (train, validation)
# ---------------------------------------------------------------------------------------


def dataset(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_val, y_val), standardised on the training part."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name in ("digits", "digits-1000"):
        X, y = datasets.load_digits(return_X_y=True)
        train = 360 if name == "digits" else 1000
    elif name == "cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)
        train = 200
    elif name == "wine":
        X, y = datasets.load_wine(return_X_y=True)
        train = 90
    elif name == "noisy":
        X, y = datasets.make_classification(
            n_samples=1400,
            n_features=20,
            n_informative=8,
            n_redundant=4,
            n_classes=4,
            n_clusters_per_class=2,
            flip_y=0.15,
            class_sep=1.0,
            random_state=7,
        )
        train = 400
    elif name == "quantiles":
        X, y = datasets.make_gaussian_quantiles(n_samples=1200, n_features=6, n_classes=3, random_state=23)
        noise = np.random.default_rng(23).normal(size=(len(X), 6))  # six uninformative columns
        X = np.concatenate([X, noise], axis=1)
        train = 300
    elif name == "hastie":
        X, y = datasets.make_hastie_10_2(n_samples=2000, random_state=29)
        train = 1000
    elif name == "blobs":
        X, y = datasets.make_classification(
            n_samples=2000,
            n_features=8,
            n_informative=6,
            n_redundant=0,
            n_classes=5,
            n_clusters_per_class=3,
            flip_y=0.0,
            class_sep=2.0,
            random_state=11,
        )
        train = 1000
    else:
        raise KeyError(name)
    Xt, Xv, yt, yv = train_test_split(X, y, train_size=train, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xt)
    return scaler.transform(Xt), yt, scaler.transform(Xv), yv


# ---------------------------------------------------------------------------------------
# FCNet-style tables
# ---------------------------------------------------------------------------------------


def _constant_error(yt: np.ndarray, yv: np.ndarray) -> float:
    values, counts = np.unique(yt, return_counts=True)
    return float(np.mean(yv != values[np.argmax(counts)]))


def mlp_run(p: dict[str, Any], data: tuple, seed: int) -> list[float]:
    """Validation errors after each of ``EPOCHS`` epochs of one training run."""
    from sklearn.neural_network import MLPClassifier

    Xt, yt, Xv, yv = data
    model = MLPClassifier(
        (p["n_units_1"], p["n_units_2"]),
        activation=p["activation"],
        solver=p["optimizer"],
        learning_rate=p["schedule"],
        learning_rate_init=p["learning_rate"],
        power_t=0.25,
        batch_size=p["batch_size"],
        alpha=p["alpha"],
        momentum=0.9,
        random_state=seed,
    )
    classes, errors, diverged = np.unique(yt), [], False
    for epoch in range(1, EPOCHS[-1] + 1):
        if not diverged:
            try:
                model.partial_fit(Xt, yt, classes=classes)
                diverged = not all(np.isfinite(c).all() for c in model.coefs_)
            except (ValueError, FloatingPointError, OverflowError):
                diverged = True
        if epoch in EPOCHS:
            errors.append(_constant_error(yt, yv) if diverged else 1.0 - float(model.score(Xv, yv)))
    return errors


def record_fcnet(name: str) -> np.ndarray:
    data = dataset(name.removeprefix("fcnet-"))
    names = list(FCNET_SPACE)
    shape = [len(v) for v in FCNET_SPACE.values()]
    losses = np.full([*shape, REPEATS], np.nan, dtype=np.float32)
    trained = [n for n in names if n not in ("epochs", "schedule")]
    runs = list(itertools.product(*(range(len(FCNET_SPACE[n])) for n in trained)))
    began = time.perf_counter()
    for i, index in enumerate(runs, 1):
        p = {n: FCNET_SPACE[n][k] for n, k in zip(trained, index)}
        at = dict(zip(trained, index))
        for s, schedule in enumerate(FCNET_SPACE["schedule"]):
            if p["optimizer"] == "adam" and s > 0:  # adam ignores the schedule: the same runs
                losses[_where(names, {**at, "schedule": s})] = losses[_where(names, {**at, "schedule": 0})]
                continue
            for seed in range(REPEATS):
                errors = mlp_run({**p, "schedule": schedule}, data, seed)
                for e, err in enumerate(errors):
                    losses[_where(names, {**at, "schedule": s, "epochs": e}) + (seed,)] = err
        if i % 100 == 0 or i == len(runs):
            print(f"  {name}: {i}/{len(runs)} runs in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    return losses


def _where(names: list[str], at: dict[str, int]) -> tuple:
    """Index into the table: fixed positions for the names in ``at``, a full slice for the others."""
    return tuple(at.get(n, slice(None)) for n in names)


# ---------------------------------------------------------------------------------------
# Architecture tables
# ---------------------------------------------------------------------------------------


def _batch_norm(H: np.ndarray, train: int) -> np.ndarray:
    axes = tuple(range(H.ndim - 1))
    ref = H[:train]
    mean, std = ref.mean(axis=axes), ref.std(axis=axes) + 1e-5
    return (H - mean) / std


def _conv(H: np.ndarray, W: np.ndarray) -> np.ndarray:
    """'Same' convolution of images H (n, 8, 8, C) with W (k, k, C, C') (k = 1 or 3)."""
    k = W.shape[0]
    if k == 1:
        return H @ W[0, 0]
    P = np.pad(H, ((0, 0), (1, 1), (1, 1), (0, 0)))
    cols = np.concatenate([P[:, i : i + 8, j : j + 8, :] for i in range(3) for j in range(3)], axis=3)
    return cols @ W.reshape(-1, W.shape[3])


def _avgpool(H: np.ndarray) -> np.ndarray:
    P = np.pad(H, ((0, 0), (1, 1), (1, 1), (0, 0)))
    ones = np.pad(np.ones((1, 8, 8, 1)), ((0, 0), (1, 1), (1, 1), (0, 0)))
    total = sum(P[:, i : i + 8, j : j + 8, :] for i in range(3) for j in range(3))
    count = sum(ones[:, i : i + 8, j : j + 8, :] for i in range(3) for j in range(3))
    return total / count


class Cell:
    """The operations of one architecture table for one repeat (seeded random weights)."""

    def __init__(self, table: str, seed: int, X: np.ndarray, train: int):
        self.table, self.train, self.ops = table, train, NAS_OPS[table]
        self.rng = np.random.default_rng(1000 * seed + 17)
        self.image = table == "nas-digits"
        if self.image:
            images = X.reshape(-1, 8, 8, 1)
            self.stem = _batch_norm(_conv(images, self._weights((3, 3, 1, IMAGE_CHANNELS))), train)
        else:
            self.stem = _batch_norm(X @ self._weights((X.shape[1], TABULAR_WIDTH)), train)
        width = self.stem.shape[-1]
        shape = (
            {"conv1x1": (1, 1, width, width), "conv3x3": (3, 3, width, width)}
            if self.image
            else {"linear": (width, width), "relu": (width, width), "cosine": (width, width)}
        )
        self.weights = {(e, op): self._weights(s) for e in NAS_EDGES for op, s in shape.items()}
        self.phase = {e: self.rng.uniform(0, 2 * np.pi, width) for e in NAS_EDGES}

    def _weights(self, shape: tuple[int, ...]) -> np.ndarray:
        fan_in = int(np.prod(shape[:-1]))
        return self.rng.normal(0.0, 1.0 / np.sqrt(fan_in), shape)

    def apply(self, edge: str, op: str, H: np.ndarray) -> np.ndarray | None:
        """The operation's output, or None for ``none`` (nothing flows)."""
        if op == "none":
            return None
        if op == "skip":
            return H
        if op == "avgpool":
            return _avgpool(H)
        W = self.weights[(edge, op)]
        if self.image:
            return _batch_norm(_conv(np.maximum(H, 0.0), W), self.train)
        if op == "relu":
            return _batch_norm(np.maximum(H, 0.0) @ W, self.train)
        if op == "cosine":
            return _batch_norm(np.cos(H @ W + self.phase[edge]), self.train)
        return _batch_norm(H @ W, self.train)


def _add(*terms: np.ndarray | None) -> np.ndarray | None:
    present = [t for t in terms if t is not None]
    return None if not present else sum(present[1:], present[0].copy())


def _pooled(H: np.ndarray | None, image: bool) -> np.ndarray | None:
    """The readout's features of one term of the last node: 2x2 average pooling of an image
    (8x8xC -> 4x4xC; linear, so the pooled sum is the sum of the pooled terms), flattened."""
    if H is None:
        return None
    if image:
        H = H.reshape(len(H), 4, 2, 4, 2, H.shape[-1]).mean(axis=(2, 4))
    return H.reshape(len(H), -1)


def record_nas(name: str) -> np.ndarray:
    Xt, yt, Xv, yv = dataset(NAS_DATA[name])
    X, train = np.concatenate([Xt, Xv]), len(Xt)
    n_ops = len(NAS_OPS[name])
    losses = np.full([n_ops] * len(NAS_EDGES) + [REPEATS], np.nan, dtype=np.float32)
    began = time.perf_counter()
    for seed in range(REPEATS):
        cell = Cell(name, seed, X, train)
        ops, image = cell.ops, cell.image
        out0 = {e: [cell.apply(e, op, cell.stem) for op in ops] for e in ("edge_0_1", "edge_0_2")}
        last0 = [_pooled(cell.apply("edge_0_3", op, cell.stem), image) for op in ops]
        for a in range(n_ops):  # edge_0_1
            node1 = out0["edge_0_1"][a]
            out12 = [None if node1 is None else cell.apply("edge_1_2", op, node1) for op in ops]
            last1 = [None if node1 is None else _pooled(cell.apply("edge_1_3", op, node1), image) for op in ops]
            for b, c in itertools.product(range(n_ops), repeat=2):  # edge_0_2, edge_1_2
                node2 = _add(out0["edge_0_2"][b], out12[c])
                last2 = [None if node2 is None else _pooled(cell.apply("edge_2_3", op, node2), image) for op in ops]
                for d, e, f in itertools.product(range(n_ops), repeat=3):  # edge_0_3, edge_1_3, edge_2_3
                    losses[a, b, c, d, e, f, seed] = _readout_error(_add(last0[d], last1[e], last2[f]), yt, yv, train)
            print(
                f"  {name}: repeat {seed + 1}/{REPEATS}, edge_0_1 {a + 1}/{n_ops} in {time.perf_counter() - began:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    return losses


def _readout_error(F: np.ndarray | None, yt: np.ndarray, yv: np.ndarray, train: int) -> float:
    """Validation error of a ridge classifier (alpha 1, intercept, one-vs-all targets of +-1, as
    scikit-learn's ``RidgeClassifier``) fitted in closed form on the first ``train`` rows of F."""
    if F is None:
        return _constant_error(yt, yv)
    classes = np.unique(yt)
    Y = np.where(yt[:, None] == classes[None, :], 1.0, -1.0)
    Ft = F[:train]
    mu, y_mu = Ft.mean(axis=0), Y.mean(axis=0)
    Fc = Ft - mu
    W = np.linalg.solve(Fc.T @ Fc + np.eye(F.shape[1]), Fc.T @ (Y - y_mu))
    predicted = classes[np.argmax((F[train:] - mu) @ W + y_mu, axis=1)]
    return float(np.mean(predicted != yv))


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------


def space_of(name: str) -> dict[str, list[Any]]:
    """The table's parameters and their lists, in the order of the table's axes."""
    if name.startswith("fcnet-"):
        return dict(FCNET_SPACE)
    return {e: list(NAS_OPS[name]) for e in NAS_EDGES}


def record(name: str) -> Path:
    began = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        losses = record_fcnet(name) if name.startswith("fcnet-") else record_nas(name)
    assert not np.isnan(losses).any(), f"{name}: configurations left unrecorded"
    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / f"{name}.npz"
    meta = {
        "name": name,
        "space": space_of(name),
        "repeats": REPEATS,
        "loss": "validation error (1 - accuracy)",
        "seconds": round(time.perf_counter() - began, 1),
    }
    np.savez_compressed(path, losses=losses, meta=np.array(json.dumps(meta)))
    print(
        f"{name}: {losses.size // REPEATS} configurations x {REPEATS} repeats in {meta['seconds']} s -> {path}",
        file=sys.stderr,
        flush=True,
    )
    return path


if __name__ == "__main__":
    for table_name in sys.argv[1:] or TABLES:
        if table_name not in TABLES:
            sys.exit(f"unknown table {table_name!r}; choose from {', '.join(TABLES)}")
        record(table_name)
