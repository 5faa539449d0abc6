"""Reports that go against the objective: what hpmagic's check saves (issue 21).

An MLP on the digits data, 15 epochs of ``partial_fit``, tuned with ``--maximize --prune`` on its
accuracy while the cell reports the validation ``log_loss`` each epoch (the mistake), against the
same search with the check switched off and with the cell reporting ``-log_loss`` (the right way).
Prints each seed's best accuracy, the mean, and the trial from which the rule read the reports the
other way.

    python -m benchmarks.reports_against --seeds 6 --trials 30
"""

from __future__ import annotations

import argparse
import statistics
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import hpmagic.pruning.service as service
from hpmagic import report, tune

CELL = """
lr = 1e-3     # tune: loguniform(1e-5, 1e-1)
width = 32    # tune: logint(4, 128)
m = MLPClassifier((width,), learning_rate_init=lr, random_state=0)
for epoch in range(1, 16):
    m.partial_fit(Xa, ya, classes=np.arange(10))
    report(SIGN log_loss(yb, m.predict_proba(Xb), labels=np.arange(10)), epoch)
m.score(Xb, yb)
"""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reports_against", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    Xa, Xb, ya, yb = train_test_split(X / 16, y, random_state=0)
    namespace = dict(Xa=Xa, Xb=Xb, ya=ya, yb=yb, MLPClassifier=MLPClassifier, report=report, log_loss=log_loss, np=np)
    real = service.check
    runs = [
        ("report(loss), with the check", "", real),
        ("report(loss), check off", "", lambda *a, **k: None),
        ("report(-loss): the right way", "-", real),
    ]
    warnings.simplefilter("ignore")
    for name, sign, check in runs:
        service.check = check
        bests, flips = [], []
        for seed in range(args.seeds):
            result = tune(
                CELL.replace("SIGN", sign),
                dict(namespace),
                trials=args.trials,
                seed=seed,
                prune=True,
                maximize=True,
                display="none",
            )
            bests.append(result.best_value)
            flipped = [t.number for t in result.trials if "reading" in t.pruning]
            flips.append(min(flipped) if flipped else None)
        print(
            f"{name:32} mean best {statistics.mean(bests):.4f}  per seed {[round(b, 3) for b in bests]}  "
            f"read the other way from trial {flips}"
        )
    service.check = real


if __name__ == "__main__":
    main()
