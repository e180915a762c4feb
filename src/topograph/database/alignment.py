"""Alignment of two points before they are compared as possible duplicates.

An aligner is a callable ``aligner(reference, candidate) -> aligned`` that
returns the image of ``candidate`` under the symmetry operation that brings
it closest to ``reference``. The database compares ``aligned`` with
``reference`` by Euclidean distance. Landscapes without symmetry use
:func:`identity_aligner`.

For K-means the cost is invariant under relabelling the K cluster centres,
so the coordinate vector is K blocks of d numbers in any order.
:class:`PermutationAligner` finds the block permutation that minimises the
summed squared distance between matched blocks, which is a linear assignment
problem solved exactly by ``scipy.optimize.linear_sum_assignment``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

Aligner = Callable[[np.ndarray, np.ndarray], np.ndarray]


def identity_aligner(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Return ``candidate`` unchanged, for landscapes without symmetry."""
    return candidate


class PermutationAligner:
    """Aligner that permutes equal-sized blocks of coordinates.

    Parameters
    ----------
    n_groups : int
        Number of interchangeable blocks, for example K cluster centres.
    group_size : int
        Coordinates per block, for example the data dimension d.

    Notes
    -----
    Points must have exactly ``n_groups * group_size`` coordinates, laid out
    block after block (centre 0, then centre 1, ...).
    """

    def __init__(self, n_groups: int, group_size: int) -> None:
        if int(n_groups) < 1 or int(group_size) < 1:
            raise ValueError(
                f"PermutationAligner needs n_groups >= 1 and group_size >= 1, got "
                f"n_groups={n_groups} and group_size={group_size}."
            )
        self.n_groups = int(n_groups)
        self.group_size = int(group_size)

    @property
    def dimension(self) -> int:
        """Number of coordinates of the points this aligner accepts."""
        return self.n_groups * self.group_size

    def __call__(self, reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
        reference_blocks = self._blocks(reference, "reference")
        candidate_blocks = self._blocks(candidate, "candidate")

        # cost[r, c] is the squared distance between reference block r and
        # candidate block c; the assignment puts candidate block c at slot r.
        differences = reference_blocks[:, None, :] - candidate_blocks[None, :, :]
        cost = np.einsum("rcd,rcd->rc", differences, differences)
        rows, columns = linear_sum_assignment(cost)

        aligned = np.empty_like(candidate_blocks)
        aligned[rows] = candidate_blocks[columns]
        return aligned.reshape(-1)

    def _blocks(self, point: np.ndarray, name: str) -> np.ndarray:
        point = np.asarray(point, dtype=np.float64)
        if point.shape != (self.dimension,):
            raise ValueError(
                f"PermutationAligner({self.n_groups}, {self.group_size}) expects a "
                f"{name} of shape ({self.dimension},), got {point.shape}. Build the "
                f"aligner with n_groups * group_size equal to the point dimension."
            )
        return point.reshape(self.n_groups, self.group_size)

    def to_spec(self) -> dict[str, Any]:
        """Return a JSON-serialisable description for :func:`aligner_from_spec`."""
        return {
            "name": "permutation",
            "n_groups": self.n_groups,
            "group_size": self.group_size,
        }

    def __repr__(self) -> str:
        return (
            f"PermutationAligner(n_groups={self.n_groups}, "
            f"group_size={self.group_size})"
        )


def aligner_to_spec(aligner: Aligner | None) -> dict[str, Any] | None:
    """Describe ``aligner`` as a dictionary, or return ``None`` if that is impossible.

    The identity (and ``None``) is ``{"name": "identity"}``. An aligner with a
    ``to_spec()`` method is described by it. Any other callable has no
    description, so it must be passed again when a saved database is loaded.
    """
    if aligner is None or aligner is identity_aligner:
        return {"name": "identity"}
    to_spec = getattr(aligner, "to_spec", None)
    if callable(to_spec):
        return to_spec()
    return None


def aligner_from_spec(spec: Mapping[str, Any] | None) -> Aligner | None:
    """Rebuild an aligner from :func:`aligner_to_spec` output.

    Returns ``None`` for the identity or for a missing description.

    Raises
    ------
    ValueError
        If the name is not ``identity`` or ``permutation``.
    """
    if spec is None:
        return None
    name = spec.get("name")
    if name == "identity":
        return None
    if name == "permutation":
        return PermutationAligner(spec["n_groups"], spec["group_size"])
    raise ValueError(
        f"Unknown aligner name {name!r}; the known names are 'identity' and "
        f"'permutation'. Pass the aligner explicitly when loading the database."
    )
