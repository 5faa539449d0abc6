"""What the user sees: progress while a search runs, and the result afterwards.

- :mod:`.reporter` -- :func:`~.reporter.make_reporter`: the live panel or the text line;
- :mod:`.widget` -- the live panel: HTML outputs updated in place (notebooks: JupyterLab, Notebook 7, VS Code);
- :mod:`.summary` -- the facts of a result's summary, computed once, for the two forms below
  (the rows of its tables in :mod:`.rows`);
- :mod:`.text` -- the text summary (``repr(result)``) and one progress line redrawn in place
  (terminal IPython, plain Python);
- :mod:`.html` -- the static summary with embedded PNG plots (``TuneResult._repr_html_``);
  :mod:`.status` -- the progress panel's bar and status line, live and as the notebook keeps it;
- :mod:`.data` and :mod:`.plots` -- numbers extracted from trials, then drawn with matplotlib
  (the slice plots in :mod:`.slices`, parallel coordinates and the contour in :mod:`.paramplots`,
  parameter importance computed in :mod:`.importance`);
- :mod:`.frame` -- ``TuneResult.to_dataframe()``'s table;
- :mod:`.palette` -- each trial state's colour, marker and label, for the plots and the HTML;
- :mod:`.manual` -- the controls and Run button of ``--strategy manual``.

Reporters see a :class:`~hpmagic.protocols.SearchInfo` and :class:`~hpmagic.protocols.Progress`,
never the runner; the summaries read a result by duck typing.  So nothing here imports
:mod:`hpmagic.runner`, :mod:`hpmagic.api` or :mod:`hpmagic.result` (which imports this package
lazily, for its repr and plots).  Nothing here is imported by ``import hpmagic``; matplotlib and
ipywidgets load when first used.

This ``__init__`` imports nothing: importing any module of the package runs it, so an import
here (even one inside a function) would close a cycle through the modules that import it.
"""
