"""The fold rule (``--prune folds``) on simulated cross-validation searches.

Each simulated search runs ``N`` configurations one after another (random search), each
a ``K``-fold cross-validation scored as accuracy (higher is better)::

    score[config, fold] = mean[config] + fold_effect[fold] + noise[config, fold]

The fold effect is shared by every configuration (a hard fold is hard for all), the noise
is the configuration's own (its spread varies from configuration to configuration).  The
configuration means are a mixture: 40% good (0.95 minus an exponential gap of mean
0.01), 40% mediocre (0.85 to 0.94), 20% bad (0.3 to 0.8).  Every rule sees the same
searches.  For each rule it prints:

- ``folds run``: the folds run, as a share of N x K;
- ``false prunes``: the share pruned among the trials that are truly as good as the best
  trial so far (true mean >= the reference's true mean);
- ``near-best pruned``: the same among the trials at most 0.005 worse (half a noise sd);
- ``lost winners``: among the trials that, run in full, would have become the new best
  (a better observed mean than the reference), the share pruned;
- ``worse: folds saved``: among the clearly worse trials (true mean 0.03 or more below
  the reference's), the share of their folds not run; ``after 1 / 2``: how many of them
  were pruned after one fold, after two at most;
- ``regret``: the true mean of the best configuration the search found, minus that of the
  one the same search finds without pruning (0 is no loss; in accuracy points).

    python -m benchmarks.fold_pruning                  # 400 searches of 40 trials, 5 folds
    python -m benchmarks.fold_pruning --searches 100 --folds 10
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit

from hpmagic.core import Direction, Trial, TrialState
from hpmagic.pruning import FoldPruner, MedianPruner, Pruner
from hpmagic.pruning.base import Curve, Decision


@dataclass
class Search:
    means: np.ndarray  # (N,)
    scores: np.ndarray  # (N, K)


def make_search(rng: np.random.Generator, trials: int, folds: int, tails: str) -> Search:
    kind = rng.choice(3, size=trials, p=[0.4, 0.4, 0.2])
    means = np.where(
        kind == 0,
        0.95 - rng.exponential(0.01, trials),
        np.where(kind == 1, rng.uniform(0.85, 0.94, trials), rng.uniform(0.3, 0.8, trials)),
    )
    spread = 0.01 * np.exp(rng.uniform(np.log(0.5), np.log(2.0), trials))
    if tails == "heavy":  # Student's t with 3 degrees of freedom, scaled to the same sd
        noise = rng.standard_t(3, size=(trials, folds)) / math.sqrt(3.0)
    else:
        noise = rng.standard_normal((trials, folds))
    fold_effect = rng.normal(0.0, 0.02, folds)
    return Search(means, means[:, None] + fold_effect[None, :] + spread[:, None] * noise)


@dataclass
class Tally:
    folds_run: int = 0
    folds_all: int = 0
    good: int = 0
    good_pruned: int = 0
    near: int = 0
    near_pruned: int = 0
    winners: int = 0
    winners_pruned: int = 0
    worse: int = 0
    worse_saved: float = 0.0
    worse_after_1: int = 0
    worse_after_2: int = 0
    regret: float = 0.0
    searches: int = 0

    def row(self, name: str) -> str:
        def share(a: float, b: float) -> str:
            return f"{100 * a / b:5.1f}%" if b else "   - "

        return (
            f"{name:<34} {share(self.folds_run, self.folds_all)}  {share(self.good_pruned, self.good)}"
            f"   {share(self.near_pruned, self.near)}   {share(self.winners_pruned, self.winners)}"
            f"   {share(self.worse_saved, self.worse)}  {share(self.worse_after_1, self.worse)}"
            f" {share(self.worse_after_2, self.worse)}   {100 * self.regret / self.searches:+.3f}"
        )


def run_search(search: Search, pruner: Pruner, tally: Tally) -> None:
    trials, folds = search.scores.shape
    pruner.setup(Direction.MAXIMIZE, trials)
    best: int | None = None  # the complete trial with the best observed mean
    for n in range(trials):
        pruner.assign(n)
        curve: list[tuple[float, float]] = []
        decision = Decision(False)
        for k in range(folds):
            curve.append((float(k), float(search.scores[n, k])))
            decision = pruner.report(n, float(k), float(search.scores[n, k]))
            if decision.prune:
                break
        state = TrialState.PRUNED if decision.prune else TrialState.COMPLETE
        pruner.finish(Trial(n, {}, state), curve)
        tally.folds_run += len(curve)
        tally.folds_all += folds
        if best is not None:
            count(tally, search, n, best, decision.prune, len(curve))
        if not decision.prune and (best is None or search.scores[n].mean() > search.scores[best].mean()):
            best = n
    unpruned = int(np.argmax(search.scores.mean(axis=1)))
    tally.regret += search.means[unpruned] - search.means[best]  # type: ignore[index]
    tally.searches += 1


def count(tally: Tally, search: Search, n: int, best: int, pruned: bool, ran: int) -> None:
    gap = search.means[best] - search.means[n]  # > 0: worse than the reference, truly
    folds = search.scores.shape[1]
    if gap <= 0:
        tally.good += 1
        tally.good_pruned += pruned
    elif gap <= 0.005:
        tally.near += 1
        tally.near_pruned += pruned
    if search.scores[n].mean() > search.scores[best].mean():
        tally.winners += 1
        tally.winners_pruned += pruned
    if gap >= 0.03:
        tally.worse += 1
        tally.worse_saved += (folds - ran) / folds
        tally.worse_after_1 += pruned and ran == 1
        tally.worse_after_2 += pruned and ran <= 2


class Previous(FoldPruner):
    """The rule before 0.2's default: pruned only when worse than the reference on every fold so
    far and by more than ``t * s / sqrt(m)``, Student's t at ``1 - 0.001`` split over the folds
    it may decide at (a test that the trial is worse, not a forecast of its end)."""

    def _decide(self, number: int, curve: Curve) -> Decision:
        found = self.evidence(curve)
        if found is None:
            return self._go_on(number, curve)
        ref = self._complete[found.reference]
        on = dict(zip(ref.steps, ref.losses))
        worse = all(loss > on[step] for step, loss in zip(curve.steps, curve.losses) if step in on)
        level = 1 - 0.001 / max(1, found.total - self.min_folds)
        threshold = float(stdtrit(found.df, level)) * found.spread / math.sqrt(found.folds)
        if worse and found.mean > threshold:
            return self._stop(number, curve, "clearly worse")
        return self._go_on(number, curve)


class OwnOnly(FoldPruner):
    """The fold rule with no pooling: the trial's own fold differences only."""

    def _pooled(self, steps: list[float]) -> tuple[float, int]:
        return 0.0, 0


RULES: list[tuple[str, type[Pruner], dict[str, object]]] = [
    ("folds (defaults)", FoldPruner, {}),
    ("folds chance=0.1", FoldPruner, {"chance": 0.1}),
    ("folds margin=0", FoldPruner, {"margin": 0.0}),
    ("folds min_folds=2", FoldPruner, {"min_folds": 2}),
    ("folds chance=0.01 margin=0", FoldPruner, {"chance": 0.01, "margin": 0.0}),
    ("  no pooling (own folds only)", OwnOnly, {}),
    ("previous rule (worse on every fold)", Previous, {}),
    ("median per fold (min_trials=5)", MedianPruner, {}),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fold_pruning",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for tails in ("normal", "heavy"):
        rng = np.random.default_rng(args.seed)
        searches = [make_search(rng, args.trials, args.folds, tails) for _ in range(args.searches)]
        print(
            f"\n{args.searches} searches of {args.trials} trials, {args.folds} folds, {tails} noise "
            "(noise sd 0.005 to 0.02, fold effect sd 0.02)"
        )
        print(
            f"{'rule':<34} folds  false   near-best  lost     worse: folds saved     regret\n"
            f"{'':<34} run    prunes  pruned     winners  saved   after 1 after 2 (points)"
        )
        for name, rule, settings in RULES:
            tally = Tally()
            for search in searches:
                run_search(search, rule(**settings), tally)  # type: ignore[arg-type]
            print(tally.row(name))


if __name__ == "__main__":
    main()
