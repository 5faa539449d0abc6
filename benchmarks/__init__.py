"""hpmagic's benchmarks, a package: run each from the repository's root as a module,
``python -m benchmarks.quality --help`` (``docs/development.md``, "Benchmarks").

The scripts import their siblings as modules of this package; what several share lives in
modules named for what they hold: ``problems`` (the quality tables' synthetic and
scikit-learn problems), ``mo_problems`` (the multi-objective problems), ``pruning_workloads``
and ``curve_workloads`` (the early-stopping workloads) and ``trivial_cell`` (the cell the
overhead, display and storage benchmarks time).  Importing this package imports nothing.
"""
