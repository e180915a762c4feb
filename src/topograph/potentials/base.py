"""The interface every potential implements.

A potential maps a point ``x`` of shape ``(dimension,)`` to an energy. Every
search in the engine works through :meth:`Potential.energies_gradients`,
which evaluates many points at once, so populations of basin-hopping walkers
and the images of an elastic band cost one call. Points and results at this
interface are float64 NumPy arrays whatever the backend. A torch backend
converts at the boundary and computes on its own device.

:class:`BackendPotential` is the base of the potentials in this package. A
subclass writes its formulas once against an array backend
(:mod:`topograph.potentials.backend`), and the base class validates shapes,
splits large batches into chunks of rows so memory stays bounded, converts
to and from NumPy, and exposes tensor-level methods that keep a torch
caller's data on its device.
"""

from __future__ import annotations

import abc

import numpy as np

from topograph.potentials.backend import make_backend

# Elements (float64) per work array that one chunk of a batched evaluation
# may allocate: 2**22 elements are 32 MiB.
DEFAULT_CHUNK_ELEMENTS = 2**22


class Potential(abc.ABC):
    """An energy function with analytic derivatives.

    Subclasses implement :meth:`energies_gradients` and :meth:`hessian`;
    the single-point methods are derived from them. ``lower_bounds`` and
    ``upper_bounds`` are ``None`` for an unbounded space, else arrays of
    shape ``(dimension,)``.
    """

    dimension: int
    lower_bounds: np.ndarray | None = None
    upper_bounds: np.ndarray | None = None
    backend: str = "numpy"
    device = None

    @abc.abstractmethod
    def energies_gradients(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate energies ``(n,)`` and gradients ``(n, d)`` at ``points (n, d)``."""

    @abc.abstractmethod
    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Return the analytic Hessian ``(dimension, dimension)`` at ``x``."""

    def hessian_vector_product(self, x: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Return ``H(x) @ vector``, by default from the full Hessian."""
        return self.hessian(x) @ np.asarray(vector, dtype=np.float64)

    def hessians(self, points: np.ndarray) -> np.ndarray:
        """Return the Hessians ``(n, d, d)`` at ``points (n, d)``."""
        points = np.asarray(points, dtype=np.float64)
        return np.stack([self.hessian(x) for x in points])

    def hessian_vector_products(
        self, points: np.ndarray, vectors: np.ndarray
    ) -> np.ndarray:
        """Return ``H(points[i]) @ vectors[i]`` for every row, shape ``(n, d)``."""
        points = np.asarray(points, dtype=np.float64)
        vectors = np.asarray(vectors, dtype=np.float64)
        return np.stack(
            [
                self.hessian_vector_product(x, v)
                for x, v in zip(points, vectors, strict=True)
            ]
        )

    def energies(self, points: np.ndarray) -> np.ndarray:
        """Evaluate energies ``(n,)`` at ``points`` ``(n, dimension)``."""
        return self.energies_gradients(points)[0]

    def energy_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Evaluate the energy and gradient ``(dimension,)`` at one point ``x``."""
        energies, gradients = self.energies_gradients(
            np.asarray(x, dtype=np.float64)[None, :]
        )
        return float(energies[0]), gradients[0]

    def energy(self, x: np.ndarray) -> float:
        """Evaluate the energy at one point ``x``."""
        return self.energy_gradient(x)[0]

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """Evaluate the gradient ``(dimension,)`` at one point ``x``."""
        return self.energy_gradient(x)[1]

    @property
    def bounded(self) -> bool:
        """Whether the potential has box bounds."""
        return self.lower_bounds is not None

    def bounds_list(self) -> list[tuple[float, float]] | None:
        """Return the bounds as ``[(low, high), ...]`` for SciPy, or ``None``."""
        if not self.bounded:
            return None
        return list(
            zip(self.lower_bounds.tolist(), self.upper_bounds.tolist(), strict=True)
        )

    def at_bounds(self, x: np.ndarray, tolerance: float = 1e-8) -> np.ndarray:
        """Return a boolean mask of the coordinates of ``x`` that lie on a bound."""
        if not self.bounded:
            return np.zeros(np.shape(x)[-1], dtype=bool)
        x = np.asarray(x)
        return (x - self.lower_bounds <= tolerance) | (
            self.upper_bounds - x <= tolerance
        )


class BackendPotential(Potential):
    """A potential written once against an array backend (NumPy or torch).

    Subclasses set ``dimension`` and implement the batched kernels
    :meth:`_energies_gradients_kernel` and :meth:`_hessians_kernel`, and
    may override :meth:`_energies_kernel`,
    :meth:`_hessian_vector_products_kernel` and the chunk sizes. Kernels
    receive and return arrays of ``self.array_backend``.

    Parameters
    ----------
    backend : {"numpy", "torch"}
        The array library that evaluates the potential.
    device : str or torch.device, optional
        The torch device, such as ``"cuda"``; ``None`` means the CPU.
    chunk_size : int, optional
        Points per chunk in energy and gradient evaluations. ``None`` lets
        the potential choose a size that bounds each work array to about
        32 MiB. Hessians and Hessian-vector products use at most this many
        points per chunk, and fewer when their work arrays would exceed that
        bound.
    """

    def __init__(self, backend: str = "numpy", device=None, chunk_size=None):
        self.array_backend = make_backend(backend, device)
        self.backend = self.array_backend.name
        self.device = str(self.array_backend.device)
        if chunk_size is not None and (
            not isinstance(chunk_size, (int, np.integer))
            or isinstance(chunk_size, bool)
            or chunk_size < 1
        ):
            raise ValueError(
                f"chunk_size must be a positive integer or None; got {chunk_size!r}"
            )
        self.chunk_size = None if chunk_size is None else int(chunk_size)

    # Kernels implemented by subclasses, in backend arrays.

    @abc.abstractmethod
    def _energies_gradients_kernel(self, points):
        """Return energies ``(n,)`` and gradients ``(n, d)`` of a chunk."""

    @abc.abstractmethod
    def _hessians_kernel(self, points):
        """Return Hessians ``(n, d, d)`` of a chunk."""

    def _energies_kernel(self, points):
        return self._energies_gradients_kernel(points)[0]

    def _hessian_vector_products_kernel(self, points, vectors):
        return self.array_backend.einsum(
            "nij,nj->ni", self._hessians_kernel(points), vectors
        )

    def _rows_per_chunk(self) -> int | None:
        """Rows per chunk of energy and gradient evaluations, or ``None`` for one."""
        return None

    def _hessian_rows_per_chunk(self) -> int:
        """Rows per chunk of Hessian evaluations."""
        return max(1, DEFAULT_CHUNK_ELEMENTS // (self.dimension * self.dimension))

    def _hessian_vector_rows_per_chunk(self) -> int:
        """Rows per chunk of Hessian-vector products."""
        return self._hessian_rows_per_chunk()

    # Shape checks and chunking.

    def _check_points(self, points, name="points") -> np.ndarray:
        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != self.dimension:
            raise ValueError(
                f"{name} must have shape (n, {self.dimension}); got {points.shape}"
            )
        return points

    def _check_tensor(self, points, name="points"):
        points = self.array_backend.asarray(points)
        if points.ndim != 2 or points.shape[1] != self.dimension:
            raise ValueError(
                f"{name} must have shape (n, {self.dimension}); "
                f"got {tuple(points.shape)}"
            )
        return points

    def _chunked(self, kernel, rows, *arrays, cap_only=False):
        """Apply ``kernel`` to chunks of ``rows`` rows and join the outputs.

        A ``chunk_size`` given to the constructor replaces ``rows``, or with
        ``cap_only`` only lowers it, so that Hessian work arrays stay bounded.
        """
        n = arrays[0].shape[0]
        if self.chunk_size is not None:
            if cap_only and rows is not None:
                rows = min(rows, self.chunk_size)
            else:
                rows = self.chunk_size
        if rows is None or n <= rows:
            return kernel(*arrays)
        outputs = [
            kernel(*(array[start : start + rows] for array in arrays))
            for start in range(0, n, rows)
        ]
        join = self.array_backend.concatenate
        if isinstance(outputs[0], tuple):
            return tuple(
                join([output[k] for output in outputs]) for k in range(len(outputs[0]))
            )
        return join(outputs)

    def _to_backend(self, *arrays):
        return tuple(self.array_backend.asarray(array) for array in arrays)

    def _evaluate(self, quantity: str, *arrays):
        """Evaluate ``quantity`` on backend arrays, chunk by chunk."""
        if quantity == "energies_gradients":
            return self._chunked(
                self._energies_gradients_kernel, self._rows_per_chunk(), *arrays
            )
        if quantity == "energies":
            return self._chunked(self._energies_kernel, self._rows_per_chunk(), *arrays)
        if quantity == "hessians":
            return self._chunked(
                self._hessians_kernel,
                self._hessian_rows_per_chunk(),
                *arrays,
                cap_only=True,
            )
        if arrays[1].shape[0] != arrays[0].shape[0]:
            raise ValueError(
                f"vectors has {arrays[1].shape[0]} rows but points has "
                f"{arrays[0].shape[0]}; pass one vector per point"
            )
        return self._chunked(
            self._hessian_vector_products_kernel,
            self._hessian_vector_rows_per_chunk(),
            *arrays,
            cap_only=True,
        )

    # Public NumPy interface.

    def energies_gradients(self, points):
        """Evaluate energies ``(n,)`` and gradients ``(n, d)`` at ``points (n, d)``."""
        points = self._to_backend(self._check_points(points))
        energies, gradients = self._evaluate("energies_gradients", *points)
        to_numpy = self.array_backend.to_numpy
        return to_numpy(energies), to_numpy(gradients)

    def energies(self, points):
        """Evaluate energies ``(n,)`` at ``points (n, d)``."""
        points = self._to_backend(self._check_points(points))
        return self.array_backend.to_numpy(self._evaluate("energies", *points))

    def hessians(self, points):
        """Return the analytic Hessians ``(n, d, d)`` at ``points (n, d)``."""
        points = self._to_backend(self._check_points(points))
        return self.array_backend.to_numpy(self._evaluate("hessians", *points))

    def hessian(self, x):
        """Return the analytic Hessian ``(d, d)`` at ``x``."""
        return self.hessians(np.asarray(x, dtype=np.float64)[None, :])[0]

    def hessian_vector_products(self, points, vectors):
        """Return ``H(points[i]) @ vectors[i]`` for every row, shape ``(n, d)``."""
        arrays = self._to_backend(
            self._check_points(points), self._check_points(vectors, "vectors")
        )
        products = self._evaluate("hessian_vector_products", *arrays)
        return self.array_backend.to_numpy(products)

    def hessian_vector_product(self, x, vector):
        """Return ``H(x) @ vector (d,)``, without the full Hessian where possible."""
        x = np.asarray(x, dtype=np.float64)[None, :]
        vector = np.asarray(vector, dtype=np.float64)[None, :]
        return self.hessian_vector_products(x, vector)[0]

    # Tensor-level interface for callers that keep their data on a device. The
    # inputs are moved to the device and to float64 first if needed.

    def _require_torch(self, method: str) -> None:
        if self.backend != "torch":
            raise ValueError(
                f"{type(self).__name__}.{method} works on torch tensors but this "
                f"potential uses backend {self.backend!r}; build it with "
                "backend='torch'"
            )

    def energies_gradients_tensor(self, points):
        """Evaluate energies ``(n,)`` and gradients ``(n, d)`` of a tensor ``(n, d)``.

        The results are float64 tensors on the potential's device, so a
        batched optimiser can stay on the device. Only for
        ``backend="torch"``.
        """
        self._require_torch("energies_gradients_tensor")
        return self._evaluate("energies_gradients", self._check_tensor(points))

    def energies_tensor(self, points):
        """Evaluate energies ``(n,)`` of a tensor ``(n, d)`` on the device."""
        self._require_torch("energies_tensor")
        return self._evaluate("energies", self._check_tensor(points))

    def hessians_tensor(self, points):
        """Return Hessians ``(n, d, d)`` of a tensor ``(n, d)`` on the device."""
        self._require_torch("hessians_tensor")
        return self._evaluate("hessians", self._check_tensor(points))

    def hessian_vector_products_tensor(self, points, vectors):
        """Return ``H(points[i]) @ vectors[i]`` as a tensor ``(n, d)`` on the device."""
        self._require_torch("hessian_vector_products_tensor")
        return self._evaluate(
            "hessian_vector_products",
            self._check_tensor(points),
            self._check_tensor(vectors, "vectors"),
        )
