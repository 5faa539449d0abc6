"""The mathematics of several objectives and constraints for the built-in strategies.

- :mod:`.scalarize`: random augmented-Chebyshev scalarisations of normalised losses (ParEGO),
  the signed constraint margins a trial records, and the probability of feasibility;
- :mod:`.ehvi`: expected hypervolume improvement by Monte Carlo over independent posteriors;
- :mod:`.nsga`: NSGA-II's survival (constraint domination, non-dominated sorting, crowding
  distance) and its variation (simulated binary crossover, polynomial mutation).

Nothing here imports IPython or knows about the runner.
"""
