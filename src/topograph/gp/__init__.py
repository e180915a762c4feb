"""Gaussian-process loss landscapes with a continuous Matérn smoothness ν.

Modules:

- ``matern``: the Matérn correlation for any real ν > 0 and ν = ∞, with
  derivatives in the scaled distance and in ``log ν``;
- ``likelihood``: the negative log marginal likelihood and its gradient in
  the log hyperparameters, through a Cholesky factor with reported jitter;
- ``data``: synthetic draws from Matérn priors, the real sets that ship
  with scikit-learn and statsmodels, standardisation and splits;
- ``fitting``: multi-start fits, predictions, leave-one-out predictions;
- ``search``: minima and transition states of one landscape with the
  engine's basin-hopping and elastic bands;
- ``continuation`` and ``sweep``: stationary points followed over a grid
  of ν, and fold detection;
- ``performance``: fixed against optimised ν over train/test splits;
- ``ensemble`` and ``ensemble_study``: voting over low-lying minima and the
  a-priori estimate of the ensemble gain;
- ``plots`` and ``tables``: figures and CSV files of the study.

The potential over log hyperparameters is
:class:`topograph.potentials.gp_likelihood.GPLikelihoodPotential`.
"""
