"""Local minimisation: SciPy's L-BFGS-B for one point, a batched L-BFGS for many."""

from topograph.optimize.lbfgs import (
    BatchMinimizeResult,
    MinimizeResult,
    minimize,
    minimize_batch,
)

__all__ = ["BatchMinimizeResult", "MinimizeResult", "minimize", "minimize_batch"]
