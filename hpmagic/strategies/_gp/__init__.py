"""The mathematics behind the ``gp`` strategy, kept apart from its ask/tell adapter.

- :mod:`.model`: a Gaussian process whose kernel hyperparameters are fitted by
  scikit-learn's ``GaussianProcessRegressor`` (Matern 5/2 with one length scale per
  feature, a signal amplitude and white noise), and a posterior that gives the mean,
  the variance and both their gradients in closed form;
- :mod:`.acquisition`: log expected improvement and its gradient, and its maximisation
  over a mixed space (many random candidates, L-BFGS-B from the best of them, then a
  greedy pass over the discrete coordinates);
- :mod:`.encoding`: configurations <-> feature vectors in the unit cube.

Nothing here imports IPython or knows about trials.
"""
