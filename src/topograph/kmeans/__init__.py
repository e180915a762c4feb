"""The K-means solution-landscape study.

The landscape engine maps the soft-min K-means cost
(:class:`topograph.potentials.kmeans.KMeansCost`); this package supplies
the rest of the study:

- :mod:`~topograph.kmeans.datasets`: Iris, Wine, Gaussian blobs and user
  CSV files, and the CSV layout passed between the workflow's steps;
- :mod:`~topograph.kmeans.outliers`: the seeded outlier protocol;
- :mod:`~topograph.kmeans.lloyd`: Lloyd's iteration and the fixed-point test;
- :mod:`~topograph.kmeans.solutions`: the exact landscape built from the
  smoothed one;
- :mod:`~topograph.kmeans.metrics` and :mod:`~topograph.kmeans.funnels`:
  accuracy, adjusted Rand index, correlations and funnel measures;
- :mod:`~topograph.kmeans.analysis`: everything measured on one landscape;
- :mod:`~topograph.kmeans.grid`, :mod:`~topograph.kmeans.study` and
  :mod:`~topograph.kmeans.figures`: the grid of landscapes, its tables and
  its figures.
"""
