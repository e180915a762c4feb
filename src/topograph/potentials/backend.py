"""Array backends, so one implementation of a potential runs on NumPy or torch.

A potential writes its formulas once against the small set of operations
below. :class:`NumpyBackend` maps them to NumPy; :class:`TorchBackend` maps
them to torch in float64 on a chosen device (a GPU batches thousands of
points per call). Both work in float64, so their results agree to rounding.
torch is imported only when a torch backend is built, which keeps
``import topograph.potentials`` fast.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

BACKEND_NAMES = ("numpy", "torch")


class NumpyBackend:
    """Array operations in float64 NumPy."""

    name = "numpy"
    device = "cpu"

    def asarray(self, values) -> np.ndarray:
        """Convert ``values`` to a float64 array."""
        return np.asarray(values, dtype=np.float64)

    def to_numpy(self, array) -> np.ndarray:
        """Return ``array`` as a float64 NumPy array."""
        return np.asarray(array, dtype=np.float64)

    exp = staticmethod(np.exp)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    where = staticmethod(np.where)
    einsum = staticmethod(np.einsum)

    def sum(self, array, axis):
        return np.sum(array, axis=axis)

    def stack(self, arrays, axis):
        return np.stack(arrays, axis=axis)

    def concatenate(self, arrays, axis=0):
        return np.concatenate(arrays, axis=axis)

    def permute(self, array, axes):
        return np.transpose(array, axes)

    def zeros(self, shape):
        return np.zeros(shape, dtype=np.float64)

    def ones(self, shape):
        return np.ones(shape, dtype=np.float64)

    def eye(self, size):
        return np.eye(size, dtype=np.float64)

    def diag_embed(self, diagonals):
        """Return ``(n, d, d)`` diagonal matrices with ``diagonals (n, d)``."""
        n, d = diagonals.shape
        matrices = np.zeros((n, d, d), dtype=np.float64)
        index = np.arange(d)
        matrices[:, index, index] = diagonals
        return matrices

    def log_or_zero(self, array):
        """Return ``log(array)`` where ``array > 0`` and 0 elsewhere."""
        # A plain log followed by a masked fix is several times faster than
        # np.log(..., where=...), which gives up the vectorised loop.
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.log(array)
        result[array <= 0] = 0.0
        return result

    def rowwise_dot(self, left, right):
        """Return ``Σ_j left_ij right_ij`` for every row ``i``."""
        return np.einsum("ij,ij->i", left, right)


class TorchBackend:
    """Array operations in float64 torch on one device."""

    name = "torch"

    def __init__(self, device=None):
        import torch

        self.torch = torch
        self.device = _torch_device(torch, device)

    def asarray(self, values):
        """Convert ``values`` to a float64 tensor on this backend's device."""
        torch = self.torch
        if isinstance(values, torch.Tensor):
            return values.to(device=self.device, dtype=torch.float64)
        return torch.as_tensor(np.asarray(values, dtype=np.float64), device=self.device)

    def to_numpy(self, array) -> np.ndarray:
        """Return ``array`` as a float64 NumPy array (copied to the host)."""
        return array.detach().to("cpu").numpy().astype(np.float64, copy=False)

    def exp(self, array):
        return self.torch.exp(array)

    def sqrt(self, array):
        return self.torch.sqrt(array)

    def sin(self, array):
        return self.torch.sin(array)

    def cos(self, array):
        return self.torch.cos(array)

    def abs(self, array):
        return self.torch.abs(array)

    def sign(self, array):
        return self.torch.sign(array)

    def where(self, condition, left, right):
        return self.torch.where(condition, left, right)

    def einsum(self, equation, *operands):
        return self.torch.einsum(equation, *operands)

    def sum(self, array, axis):
        return self.torch.sum(array, dim=axis)

    def stack(self, arrays, axis):
        return self.torch.stack(list(arrays), dim=axis)

    def concatenate(self, arrays, axis=0):
        return self.torch.cat(list(arrays), dim=axis)

    def permute(self, array, axes):
        return array.permute(*axes)

    def zeros(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.float64, device=self.device)

    def ones(self, shape):
        return self.torch.ones(shape, dtype=self.torch.float64, device=self.device)

    def eye(self, size):
        return self.torch.eye(size, dtype=self.torch.float64, device=self.device)

    def diag_embed(self, diagonals):
        return self.torch.diag_embed(diagonals)

    def log_or_zero(self, array):
        result = self.torch.log(array)
        result.masked_fill_(array <= 0, 0.0)
        return result

    def rowwise_dot(self, left, right):
        return self.torch.einsum("ij,ij->i", left, right)


def _torch_device(torch, device):
    """Return the ``torch.device`` for ``device``, checking that it can be used."""
    if device is None:
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"invalid torch device {device!r} ({error}); use 'cpu', 'cuda' or 'cuda:N'"
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} requested but CUDA is not available to torch "
            f"{torch.__version__}; use device 'cpu'"
        )
    return resolved


_NUMPY_BACKEND = NumpyBackend()


def make_backend(backend: str = "numpy", device=None):
    """Build the array backend named ``backend`` on ``device``.

    Parameters
    ----------
    backend : {"numpy", "torch"}
        The array library that evaluates the potential.
    device : str or torch.device, optional
        The torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``). The NumPy
        backend accepts only ``None`` or ``"cpu"``.

    Returns
    -------
    NumpyBackend or TorchBackend

    Raises
    ------
    ValueError
        If the backend name is unknown, or the device is invalid or not
        available.
    """
    if backend == "numpy":
        if device not in (None, "cpu"):
            raise ValueError(
                f"device {device!r} requires backend 'torch'; the numpy backend "
                "runs on the CPU only"
            )
        return _NUMPY_BACKEND
    if backend == "torch":
        backend_object = TorchBackend(device)
        logger.debug("torch backend on %s", backend_object.device)
        return backend_object
    raise ValueError(
        f"unknown backend {backend!r}; use one of {', '.join(BACKEND_NAMES)}"
    )
