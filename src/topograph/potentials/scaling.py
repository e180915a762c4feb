"""Min–max scaling of a data set's inputs and response to [0, 1].

Landscapes of data sets (fill-tuning) are built on inputs and responses
scaled column by column to [0, 1]; :class:`MinMaxScaling` stores the
minima and ranges so results can be mapped back to the original units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from topograph.potentials.messages import describe_rows


@dataclass(frozen=True)
class MinMaxScaling:
    """Affine maps of inputs and response onto [0, 1].

    Attributes
    ----------
    input_minimum, input_range : ndarray, shape (d,)
        Minimum and range (maximum − minimum) of each input column.
    response_minimum, response_range : float
        Minimum and range of the response.
    """

    input_minimum: np.ndarray
    input_range: np.ndarray
    response_minimum: float
    response_range: float

    @classmethod
    def fit(cls, points, values, source: str = "the data") -> "MinMaxScaling":
        """Compute the scaling of ``points (N, d)`` and ``values (N,)``.

        Raises
        ------
        ValueError
            If an input column or the response is constant, naming
            ``source``, because it cannot be scaled to [0, 1].
        """
        points = np.asarray(points, dtype=np.float64)
        values = np.asarray(values, dtype=np.float64)
        input_minimum = points.min(axis=0)
        input_range = points.max(axis=0) - input_minimum
        constant = np.flatnonzero(input_range == 0)
        if constant.size:
            raise ValueError(
                f"input {describe_rows(constant, 'column')} (counting from 0) of "
                f"{source} {'is' if constant.size == 1 else 'are'} constant and cannot "
                "be scaled to [0, 1]; drop constant columns"
            )
        response_minimum = float(values.min())
        response_range = float(values.max()) - response_minimum
        if response_range == 0:
            raise ValueError(
                f"the response of {source} is constant ({response_minimum}), so it "
                "cannot be scaled to [0, 1] and the landscape would be flat; check "
                "the response column"
            )
        return cls(input_minimum, input_range, response_minimum, response_range)

    def transform_inputs(self, points) -> np.ndarray:
        """Map inputs ``(n, d)`` in original units to [0, 1]."""
        return (
            np.asarray(points, dtype=np.float64) - self.input_minimum
        ) / self.input_range

    def inverse_transform_inputs(self, points) -> np.ndarray:
        """Map scaled inputs ``(n, d)`` back to original units."""
        return (
            np.asarray(points, dtype=np.float64) * self.input_range + self.input_minimum
        )

    def transform_response(self, values) -> np.ndarray:
        """Map responses in original units to [0, 1]."""
        return (
            np.asarray(values, dtype=np.float64) - self.response_minimum
        ) / self.response_range

    def inverse_transform_response(self, values) -> np.ndarray:
        """Map scaled responses (energies) back to original units."""
        return (
            np.asarray(values, dtype=np.float64) * self.response_range
            + self.response_minimum
        )
