"""The stationary-point database: minima and transition states, column-wise.

Minima and transition states live in NumPy arrays that grow by doubling, so
adding ``n`` points costs amortised O(n) copies. Each new point is checked
for duplicates: two points are the same when their energies differ by at
most ``energy_tolerance`` and, after ``aligner(reference, candidate)``, their
coordinates are within ``distance_tolerance`` in Euclidean norm. Energies
are hashed into bins of width ``energy_tolerance``, so only points in the
neighbouring bins are distance-checked and an insertion stays O(1) unless
many points share nearly the same energy. When several stored points match,
the one with the lowest index is returned, so insertion order alone decides
the result.

Several transition states between the same two minima are all kept. Only a
transition state that duplicates another one in energy and position is
merged into it.

``save`` writes one ``.npz`` archive atomically: the arrays, and a JSON
header with the format version, the tolerances and the aligner. ``load``
raises a ``ValueError`` that names the file and the fix when the file is
missing, truncated or of another format.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import topograph
from topograph.database.alignment import Aligner, aligner_from_spec, aligner_to_spec
from topograph.database.persistence import (
    FILE_FORMAT,
    FORMAT_VERSION,
    read_archive,
    write_archive,
)

logger = logging.getLogger(__name__)

_MINIMUM_COLUMNS = {
    "energies": np.float64,
    "coordinates": np.float64,
    "log_products": np.float64,
    "on_bounds": np.bool_,
}
_TRANSITION_STATE_COLUMNS = {
    "energies": np.float64,
    "coordinates": np.float64,
    "log_products": np.float64,
    "negative_eigenvalues": np.float64,
    "minimum1": np.int64,
    "minimum2": np.int64,
}
_INITIAL_CAPACITY = 16


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


class _ColumnStore:
    """Growable columns of equal length, of which the coordinates column is 2-D."""

    def __init__(self, columns: Mapping[str, type], dimension: int) -> None:
        self.dimension = dimension
        self.size = 0
        self.arrays = {
            name: np.empty(self._shape(name, _INITIAL_CAPACITY), dtype=dtype)
            for name, dtype in columns.items()
        }
        self.properties: dict[str, np.ndarray] = {}

    def _shape(self, name: str, capacity: int) -> tuple[int, ...]:
        return (capacity, self.dimension) if name == "coordinates" else (capacity,)

    @property
    def capacity(self) -> int:
        return len(self.arrays["energies"])

    def reserve(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        capacity = max(needed, 2 * self.capacity)
        for columns in (self.arrays, self.properties):
            for name, old in columns.items():
                new = np.empty(self._shape(name, capacity), dtype=old.dtype)
                new[: self.size] = old[: self.size]
                columns[name] = new

    def add_property(self, name: str) -> None:
        self.properties[name] = np.full(self.capacity, np.nan)

    def view(self, name: str) -> np.ndarray:
        return _read_only(self.arrays[name][: self.size])


class MinimaTable:
    """Read-only column views of the minima of a :class:`StationaryPointDatabase`.

    Attributes are ``energies (n,)``, ``coordinates (n, d)``,
    ``log_products (n,)`` (Σ ln λ over the positive Hessian eigenvalues, NaN
    when not computed), ``on_bounds (n,)`` and ``properties`` (a dict of
    float arrays ``(n,)``, NaN where unset). The views share memory with the
    database, so copy them before adding more points if they must not change.
    """

    def __init__(self, store: _ColumnStore) -> None:
        self._store = store

    def __len__(self) -> int:
        return self._store.size

    @property
    def energies(self) -> np.ndarray:
        return self._store.view("energies")

    @property
    def coordinates(self) -> np.ndarray:
        return self._store.view("coordinates")

    @property
    def log_products(self) -> np.ndarray:
        return self._store.view("log_products")

    @property
    def on_bounds(self) -> np.ndarray:
        return self._store.view("on_bounds")

    @property
    def properties(self) -> dict[str, np.ndarray]:
        size = self._store.size
        return {
            name: _read_only(values[:size])
            for name, values in self._store.properties.items()
        }


class TransitionStateTable:
    """Read-only column views of the transition states of a database.

    Attributes are ``energies (m,)``, ``coordinates (m, d)``,
    ``log_products (m,)`` (Σ ln λ over the positive Hessian eigenvalues),
    ``negative_eigenvalues (m,)`` and ``minimum1``, ``minimum2 (m,)``, the
    indices of the two minima that steepest descent reaches.
    """

    def __init__(self, store: _ColumnStore) -> None:
        self._store = store

    def __len__(self) -> int:
        return self._store.size

    @property
    def energies(self) -> np.ndarray:
        return self._store.view("energies")

    @property
    def coordinates(self) -> np.ndarray:
        return self._store.view("coordinates")

    @property
    def log_products(self) -> np.ndarray:
        return self._store.view("log_products")

    @property
    def negative_eigenvalues(self) -> np.ndarray:
        return self._store.view("negative_eigenvalues")

    @property
    def minimum1(self) -> np.ndarray:
        return self._store.view("minimum1")

    @property
    def minimum2(self) -> np.ndarray:
        return self._store.view("minimum2")


class StationaryPointDatabase:
    """Minima and transition states of one landscape, with duplicate detection.

    Parameters
    ----------
    dimension : int
        Number of coordinates of every point.
    energy_tolerance : float
        Maximum energy difference between duplicates (absolute, >= 0).
    distance_tolerance : float
        Maximum Euclidean distance between duplicates after alignment (>= 0).
    aligner : callable, optional
        ``aligner(reference, candidate) -> aligned_candidate``, applied
        before the distance check; ``None`` compares points as they are.
    metadata : dict, optional
        JSON-serialisable description of the landscape, saved with the
        database.

    Attributes
    ----------
    minima : MinimaTable
    transition_states : TransitionStateTable
    """

    def __init__(
        self,
        dimension: int,
        energy_tolerance: float = 1e-6,
        distance_tolerance: float = 1e-3,
        aligner: Aligner | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if int(dimension) < 1:
            raise ValueError(f"dimension must be a positive integer, got {dimension}.")
        for name, value in (
            ("energy_tolerance", energy_tolerance),
            ("distance_tolerance", distance_tolerance),
        ):
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(
                    f"{name} must be a finite number >= 0, got {value}. Use 0 to "
                    f"treat only identical values as duplicates."
                )
        metadata = dict(metadata or {})
        try:
            json.dumps(metadata)
        except TypeError as error:
            raise ValueError(
                f"metadata must be JSON-serialisable so it can be saved ({error}). "
                f"Convert arrays to lists and paths to strings."
            ) from error

        self.dimension = int(dimension)
        self.energy_tolerance = float(energy_tolerance)
        self.distance_tolerance = float(distance_tolerance)
        self.aligner = aligner
        self.metadata = metadata

        self._minima = _ColumnStore(_MINIMUM_COLUMNS, self.dimension)
        self._transition_states = _ColumnStore(
            _TRANSITION_STATE_COLUMNS, self.dimension
        )
        self._minimum_bins: dict[Any, list[int]] = {}
        self._transition_state_bins: dict[Any, list[int]] = {}
        self.minima = MinimaTable(self._minima)
        self.transition_states = TransitionStateTable(self._transition_states)

    # ------------------------------------------------------------------
    # Sizes and simple queries

    @property
    def n_minima(self) -> int:
        """Number of stored minima."""
        return self._minima.size

    @property
    def n_transition_states(self) -> int:
        """Number of stored transition states."""
        return self._transition_states.size

    def global_minimum(self) -> int:
        """Return the index of the lowest minimum (the first one on ties).

        Raises
        ------
        ValueError
            If the database has no minima.
        """
        if self.n_minima == 0:
            raise ValueError(
                "The database has no minima, so it has no global minimum. Add minima "
                "first (for example by basin-hopping)."
            )
        return int(np.argmin(self.minima.energies))

    def __repr__(self) -> str:
        return (
            f"StationaryPointDatabase(dimension={self.dimension}, "
            f"n_minima={self.n_minima}, n_transition_states={self.n_transition_states})"
        )

    # ------------------------------------------------------------------
    # Validation

    def _check_energy(self, energy: float, kind: str) -> float:
        energy = float(energy)
        if not math.isfinite(energy):
            raise ValueError(
                f"The {kind} energy is {energy}; only finite energies can be stored. "
                f"Drop this point, or fix the potential evaluation that produced it."
            )
        return energy

    def _check_coordinates(self, coordinates: Any, kind: str) -> np.ndarray:
        coordinates = np.asarray(coordinates, dtype=np.float64)
        if coordinates.shape != (self.dimension,):
            raise ValueError(
                f"The {kind} coordinates have shape {coordinates.shape}, but this "
                f"database stores points of shape ({self.dimension},). Pass one "
                f"point as a flat array."
            )
        bad = np.flatnonzero(~np.isfinite(coordinates))
        if bad.size:
            raise ValueError(
                f"The {kind} coordinates contain {coordinates[bad[0]]} at index "
                f"{bad[0]} ({bad.size} non-finite values in all); only finite "
                f"coordinates can be stored. Drop this point, or fix the search "
                f"that produced it."
            )
        return coordinates

    @staticmethod
    def _check_optional(
        value: float | None, name: str, negative: bool = False
    ) -> float:
        value = math.nan if value is None else float(value)
        if math.isnan(value):
            return value
        if math.isinf(value) or (negative and value >= 0):
            requirement = "a finite negative number" if negative else "finite"
            raise ValueError(
                f"{name} is {value} but must be {requirement}. Pass NaN when it "
                f"is not known."
            )
        return value

    def _check_minimum_index(self, index: Any, name: str) -> int:
        if isinstance(index, (bool, np.bool_)) or not isinstance(
            index, (int, np.integer)
        ):
            raise ValueError(f"{name} must be an integer index, got {index!r}.")
        index = int(index)
        if not 0 <= index < self.n_minima:
            raise ValueError(
                f"{name}={index} is not a stored minimum, because the database has "
                f"{self.n_minima} minima. Add both minima before the transition "
                f"state, and use the indices that add_minimum returned."
            )
        return index

    # ------------------------------------------------------------------
    # Duplicate search

    def _bin_key(self, energy: float) -> Any:
        if self.energy_tolerance == 0:
            return energy
        return math.floor(energy / self.energy_tolerance)

    def _candidate_keys(self, energy: float) -> list[Any]:
        if self.energy_tolerance == 0:
            return [energy]
        key = self._bin_key(energy)
        # Two energies within the tolerance sit in the same or adjacent bins.
        # The two outer bins cover rounding at the bin edges.
        return [key - 2, key - 1, key, key + 1, key + 2]

    def _match(
        self,
        store: _ColumnStore,
        bins: dict[Any, list[int]],
        energy: float,
        coordinates: np.ndarray,
    ) -> int | None:
        candidates: list[int] = []
        for key in self._candidate_keys(energy):
            candidates.extend(bins.get(key, ()))
        if not candidates:
            return None

        candidates_array = np.array(sorted(candidates), dtype=np.int64)
        energies = store.arrays["energies"][candidates_array]
        candidates_array = candidates_array[
            np.abs(energies - energy) <= self.energy_tolerance
        ]
        if candidates_array.size == 0:
            return None

        stored = store.arrays["coordinates"]
        if self.aligner is None:
            distances = np.linalg.norm(stored[candidates_array] - coordinates, axis=1)
            hits = candidates_array[distances <= self.distance_tolerance]
            return int(hits[0]) if hits.size else None

        for index in candidates_array:
            reference = stored[index]
            aligned = np.asarray(self.aligner(reference, coordinates))
            if np.linalg.norm(aligned - reference) <= self.distance_tolerance:
                return int(index)
        return None

    def match_minimum(self, energy: float, coordinates: Any) -> int | None:
        """Return the index of a stored minimum that duplicates this point, or ``None``.

        The lowest index is returned when several stored minima match.
        """
        energy = self._check_energy(energy, "minimum")
        coordinates = self._check_coordinates(coordinates, "minimum")
        return self._match(self._minima, self._minimum_bins, energy, coordinates)

    def match_transition_state(self, energy: float, coordinates: Any) -> int | None:
        """Return the index of a stored transition state that duplicates this point.

        Returns ``None`` when there is none, and the lowest index when
        several match.
        """
        energy = self._check_energy(energy, "transition-state")
        coordinates = self._check_coordinates(coordinates, "transition-state")
        return self._match(
            self._transition_states, self._transition_state_bins, energy, coordinates
        )

    # ------------------------------------------------------------------
    # Insertion

    def add_minimum(
        self,
        energy: float,
        coordinates: Any,
        log_product: float = math.nan,
        on_bounds: bool = False,
        properties: Mapping[str, float] | None = None,
    ) -> tuple[int, bool]:
        """Insert a minimum unless it duplicates a stored one.

        Parameters
        ----------
        energy : float
        coordinates : array_like, shape (dimension,)
        log_product : float
            Σ ln λ over the positive Hessian eigenvalues; NaN (or None) if
            not computed.
        on_bounds : bool
            Whether the minimum lies on the box bounds of the potential.
        properties : dict of str to float, optional
            Per-minimum values such as the accuracy of a clustering.

        Returns
        -------
        index : int
            Index of the new minimum, or of the stored duplicate.
        is_new : bool
            False when the point duplicated a stored minimum. A duplicate
            fills in the stored log product and properties that are NaN, and
            changes nothing else.
        """
        energy = self._check_energy(energy, "minimum")
        coordinates = self._check_coordinates(coordinates, "minimum")
        log_product = self._check_optional(log_product, "log_product")
        properties = dict(properties or {})

        store = self._minima
        existing = self._match(store, self._minimum_bins, energy, coordinates)
        if existing is not None:
            if math.isnan(store.arrays["log_products"][existing]):
                store.arrays["log_products"][existing] = log_product
            for name, value in properties.items():
                if name not in store.properties:
                    store.add_property(name)
                if np.isnan(store.properties[name][existing]):
                    store.properties[name][existing] = float(value)
            return existing, False

        index = store.size
        store.reserve(index + 1)
        store.arrays["energies"][index] = energy
        store.arrays["coordinates"][index] = coordinates
        store.arrays["log_products"][index] = log_product
        store.arrays["on_bounds"][index] = bool(on_bounds)
        for name, values in store.properties.items():
            values[index] = float(properties.get(name, math.nan))
        for name, value in properties.items():
            if name not in store.properties:
                store.add_property(name)
                store.properties[name][index] = float(value)
        store.size += 1
        self._minimum_bins.setdefault(self._bin_key(energy), []).append(index)
        return index, True

    def add_transition_state(
        self,
        energy: float,
        coordinates: Any,
        minimum1: int,
        minimum2: int,
        log_product: float = math.nan,
        negative_eigenvalue: float = math.nan,
    ) -> tuple[int, bool]:
        """Insert a transition state unless it duplicates a stored one.

        Parameters
        ----------
        energy : float
        coordinates : array_like, shape (dimension,)
        minimum1, minimum2 : int
            Indices of the minima that steepest descent from the two sides
            reaches.
        log_product : float
            Σ ln λ over the positive Hessian eigenvalues; NaN (or None) if
            not computed.
        negative_eigenvalue : float
            The single negative Hessian eigenvalue; NaN (or None) if not
            computed.

        Returns
        -------
        index : int
            Index of the new transition state, or of the stored duplicate.
        is_new : bool
            False when the point duplicated a stored transition state. A
            duplicate fills in stored values that are NaN; a duplicate that
            names other minima than the stored one is logged as a warning
            and the stored minima are kept.
        """
        energy = self._check_energy(energy, "transition-state")
        coordinates = self._check_coordinates(coordinates, "transition-state")
        minimum1 = self._check_minimum_index(minimum1, "minimum1")
        minimum2 = self._check_minimum_index(minimum2, "minimum2")
        log_product = self._check_optional(log_product, "log_product")
        negative_eigenvalue = self._check_optional(
            negative_eigenvalue, "negative_eigenvalue", negative=True
        )

        store = self._transition_states
        existing = self._match(store, self._transition_state_bins, energy, coordinates)
        if existing is not None:
            arrays = store.arrays
            if math.isnan(arrays["log_products"][existing]):
                arrays["log_products"][existing] = log_product
            if math.isnan(arrays["negative_eigenvalues"][existing]):
                arrays["negative_eigenvalues"][existing] = negative_eigenvalue
            stored_pair = {
                int(arrays["minimum1"][existing]),
                int(arrays["minimum2"][existing]),
            }
            if stored_pair != {minimum1, minimum2}:
                logger.warning(
                    "Transition state at energy %.10g duplicates stored transition "
                    "state %d, which connects minima %s, not %s; keeping the stored "
                    "connection",
                    energy,
                    existing,
                    sorted(stored_pair),
                    sorted({minimum1, minimum2}),
                )
            return existing, False

        index = store.size
        store.reserve(index + 1)
        store.arrays["energies"][index] = energy
        store.arrays["coordinates"][index] = coordinates
        store.arrays["log_products"][index] = log_product
        store.arrays["negative_eigenvalues"][index] = negative_eigenvalue
        store.arrays["minimum1"][index] = minimum1
        store.arrays["minimum2"][index] = minimum2
        store.size += 1
        self._transition_state_bins.setdefault(self._bin_key(energy), []).append(index)
        return index, True

    def set_property(self, name: str, values: Any) -> None:
        """Set a per-minimum property, one float per stored minimum.

        Minima added later get NaN unless ``add_minimum`` passes a value.
        """
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (self.n_minima,):
            raise ValueError(
                f"Property {name!r} has shape {values.shape}, but the database has "
                f"{self.n_minima} minima. Pass one value per minimum, in index order."
            )
        if name not in self._minima.properties:
            self._minima.add_property(name)
        self._minima.properties[name][: self.n_minima] = values

    # ------------------------------------------------------------------
    # Bulk construction, copies and persistence

    @classmethod
    def from_arrays(
        cls,
        dimension: int,
        minimum_energies: Any,
        minimum_coordinates: Any,
        minimum_log_products: Any = None,
        minimum_on_bounds: Any = None,
        properties: Mapping[str, Any] | None = None,
        transition_state_energies: Any = None,
        transition_state_coordinates: Any = None,
        minimum1: Any = None,
        minimum2: Any = None,
        transition_state_log_products: Any = None,
        negative_eigenvalues: Any = None,
        **settings: Any,
    ) -> StationaryPointDatabase:
        """Build a database from columns without searching for duplicates.

        Every point is stored as given, in order; ``settings`` are the
        constructor's keyword arguments. Values are validated as in
        ``add_minimum`` and ``add_transition_state``. Missing log products
        and negative eigenvalues are NaN and missing ``on_bounds`` is False.
        """
        database = cls(dimension, **settings)
        d = database.dimension

        energies = np.asarray(minimum_energies, dtype=np.float64).reshape(-1)
        n = energies.size
        coordinates = np.asarray(minimum_coordinates, dtype=np.float64).reshape(n, d)
        log_products = _column_or_default(
            minimum_log_products, n, math.nan, "log products"
        )
        on_bounds = _column_or_default(minimum_on_bounds, n, False, "on_bounds", bool)
        _check_columns(energies, coordinates, log_products, "minimum")

        store = database._minima
        store.reserve(n)
        store.arrays["energies"][:n] = energies
        store.arrays["coordinates"][:n] = coordinates
        store.arrays["log_products"][:n] = log_products
        store.arrays["on_bounds"][:n] = on_bounds
        store.size = n
        for name, values in (properties or {}).items():
            database.set_property(name, values)
        for index, energy in enumerate(energies.tolist()):
            key = database._bin_key(energy)
            database._minimum_bins.setdefault(key, []).append(index)

        if transition_state_energies is None:
            return database
        energies = np.asarray(transition_state_energies, dtype=np.float64).reshape(-1)
        m = energies.size
        coordinates = np.asarray(transition_state_coordinates, dtype=np.float64)
        coordinates = coordinates.reshape(m, d)
        log_products = _column_or_default(
            transition_state_log_products, m, math.nan, "log products"
        )
        eigenvalues = _column_or_default(
            negative_eigenvalues, m, math.nan, "negative eigenvalues"
        )
        first = _column_or_default(minimum1, m, -1, "minimum1", np.int64)
        second = _column_or_default(minimum2, m, -1, "minimum2", np.int64)
        _check_columns(energies, coordinates, log_products, "transition-state")
        if np.any(eigenvalues >= 0) or np.any(np.isinf(eigenvalues)):
            raise ValueError(
                "negative_eigenvalues must be finite and negative, or NaN where not "
                "known."
            )
        for name, column in (("minimum1", first), ("minimum2", second)):
            if m and (column.min() < 0 or column.max() >= n):
                raise ValueError(
                    f"{name} contains indices outside 0..{n - 1}, the range of the "
                    f"{n} minima. Pass 0-based indices into the minimum columns."
                )

        store = database._transition_states
        store.reserve(m)
        store.arrays["energies"][:m] = energies
        store.arrays["coordinates"][:m] = coordinates
        store.arrays["log_products"][:m] = log_products
        store.arrays["negative_eigenvalues"][:m] = eigenvalues
        store.arrays["minimum1"][:m] = first
        store.arrays["minimum2"][:m] = second
        store.size = m
        for index, energy in enumerate(energies.tolist()):
            key = database._bin_key(energy)
            database._transition_state_bins.setdefault(key, []).append(index)
        return database

    def settings(self) -> dict[str, Any]:
        """Return the constructor keyword arguments other than ``dimension``."""
        return {
            "energy_tolerance": self.energy_tolerance,
            "distance_tolerance": self.distance_tolerance,
            "aligner": self.aligner,
            "metadata": dict(self.metadata),
        }

    def copy(self) -> StationaryPointDatabase:
        """Return an independent copy with the same points and settings."""
        minima = self.minima
        states = self.transition_states
        return type(self).from_arrays(
            self.dimension,
            minima.energies,
            minima.coordinates,
            minima.log_products,
            minima.on_bounds,
            minima.properties,
            states.energies,
            states.coordinates,
            states.minimum1,
            states.minimum2,
            states.log_products,
            states.negative_eigenvalues,
            **self.settings(),
        )

    def _header(self) -> dict[str, Any]:
        return {
            "format": FILE_FORMAT,
            "format_version": FORMAT_VERSION,
            "topograph_version": topograph.__version__,
            "dimension": self.dimension,
            "energy_tolerance": self.energy_tolerance,
            "distance_tolerance": self.distance_tolerance,
            "aligner": aligner_to_spec(self.aligner),
            "property_names": list(self._minima.properties),
            "metadata": self.metadata,
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the database to one ``.npz`` file, atomically.

        The data go to a temporary file in the same directory, which replaces
        ``path`` only once it is complete, so a killed writer leaves either
        the old file or the new one.
        """
        minima = self.minima
        states = self.transition_states
        arrays = {
            "minima_energies": minima.energies,
            "minima_coordinates": minima.coordinates,
            "minima_log_products": minima.log_products,
            "minima_on_bounds": minima.on_bounds,
            "transition_states_energies": states.energies,
            "transition_states_coordinates": states.coordinates,
            "transition_states_log_products": states.log_products,
            "transition_states_negative_eigenvalues": states.negative_eigenvalues,
            "transition_states_minimum1": states.minimum1,
            "transition_states_minimum2": states.minimum2,
        }
        for position, values in enumerate(minima.properties.values()):
            arrays[f"minima_property_{position}"] = values

        write_archive(path, self._header(), arrays)
        logger.info(
            "Saved %d minima and %d transition states to %s",
            self.n_minima,
            self.n_transition_states,
            path,
        )

    @classmethod
    def load(
        cls, path: str | os.PathLike, aligner: Aligner | None = None
    ) -> StationaryPointDatabase:
        """Read a database written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
        aligner : callable, optional
            Overrides the saved aligner. Needed when the database was saved
            with a custom callable, which cannot be stored.

        Raises
        ------
        ValueError
            If the file is missing, unreadable, truncated or of another
            format; the message names the file and the fix.
        """
        path = Path(path)
        header, arrays = read_archive(path)

        saved_aligner = header.get("aligner")
        if aligner is None:
            if saved_aligner is None:
                logger.warning(
                    "%s was saved with a custom aligner that cannot be restored; "
                    "duplicates are now compared without alignment. Pass aligner= to "
                    "load() to restore it",
                    path,
                )
            aligner = aligner_from_spec(saved_aligner)

        try:
            names = header["property_names"]
            properties = {
                name: arrays[f"minima_property_{position}"]
                for position, name in enumerate(names)
            }
            return cls.from_arrays(
                header["dimension"],
                arrays["minima_energies"],
                arrays["minima_coordinates"],
                arrays["minima_log_products"],
                arrays["minima_on_bounds"],
                properties,
                arrays["transition_states_energies"],
                arrays["transition_states_coordinates"],
                arrays["transition_states_minimum1"],
                arrays["transition_states_minimum2"],
                arrays["transition_states_log_products"],
                arrays["transition_states_negative_eigenvalues"],
                energy_tolerance=header["energy_tolerance"],
                distance_tolerance=header["distance_tolerance"],
                aligner=aligner,
                metadata=header.get("metadata"),
            )
        except (KeyError, ValueError, TypeError) as error:
            raise ValueError(
                f"Database file {path} is inconsistent ({type(error).__name__}: "
                f"{error}). It was not written by StationaryPointDatabase.save or "
                f"was altered: delete it and rerun the step that writes it."
            ) from error


def _column_or_default(
    values: Any, size: int, default: Any, name: str, dtype: Any = np.float64
) -> np.ndarray:
    if values is None:
        return np.full(size, default, dtype=dtype)
    column = np.asarray(values, dtype=dtype).reshape(-1)
    if column.size != size:
        raise ValueError(
            f"The {name} column has {column.size} values, expected {size}."
        )
    return column


def _check_columns(
    energies: np.ndarray, coordinates: np.ndarray, log_products: np.ndarray, kind: str
) -> None:
    bad = np.flatnonzero(~np.isfinite(energies))
    if bad.size:
        raise ValueError(
            f"{kind.capitalize()} {bad[0]} has energy {energies[bad[0]]} ({bad.size} "
            f"non-finite energies in all); only finite energies can be stored."
        )
    bad_rows = np.flatnonzero(~np.all(np.isfinite(coordinates), axis=1))
    if bad_rows.size:
        raise ValueError(
            f"{kind.capitalize()} {bad_rows[0]} has non-finite coordinates "
            f"({bad_rows.size} such points in all); only finite coordinates can be "
            f"stored."
        )
    if np.any(np.isinf(log_products)):
        raise ValueError(
            f"The {kind} log products contain an infinite value; use NaN where the "
            f"Hessian eigenvalues are not known."
        )
