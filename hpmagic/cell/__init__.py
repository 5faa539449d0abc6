"""The cell: its text parsed into a search space and a rewritten program, and one trial of it.

- :mod:`.program`: ``VALUES_NAME`` and :class:`~.program.CellProgram`, the compiled cell
  (a leaf: all a worker needs besides the trial body);
- :mod:`.parser` and :mod:`.spec`: annotations -> search space + rewritten code;
- :mod:`.trial`: one trial (``run_trial``), the objective, and the inline executor;
- :mod:`.capture`: stdout, stderr and warnings captured per trial.

This ``__init__`` imports nothing, so a worker that imports the trial body loads no parser.
"""
