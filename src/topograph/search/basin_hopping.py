"""Basin-hopping global optimisation (Wales and Doye, J. Phys. Chem. A 101, 5111, 1997).

A chain sits in a local minimum. Each step displaces every coordinate of the
current minimum by a uniform random amount in ``[-step_size, step_size]``,
clipped into the box of a bounded potential. It quenches the new point to a
local minimum with L-BFGS and accepts that minimum with the Metropolis
probability ``min(1, exp(-(E_new - E_current) / temperature))``. Every
``adjust_interval`` steps the step size is multiplied by ``adjust_factor`` when
the acceptance ratio of those steps is at most ``target_acceptance``, and
divided by it otherwise, so the ratio drifts towards the target.

A chain draws from its own NumPy ``Generator``. Each step draws the
displacement and then one uniform number for the Metropolis test, whatever
the outcome, so the sequence depends only on the seed. ``state_dict()``
records the generator state, the current minimum, the step size and every
counter as JSON-serialisable values (floats are written with ``repr``
precision, which round-trips exactly), so a chain rebuilt with
``BasinHoppingChain.from_state`` continues exactly as the original would have.

:func:`advance_chains` moves many chains in lockstep: the proposals of all
chains are quenched together by one :func:`minimize_batch`, which evaluates
the potential once per L-BFGS iteration for the whole population.
:func:`basin_hop_population` builds one chain per starting point with seeds
spawned from a single seed and returns every minimum found.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from topograph.optimize.lbfgs import box_bounds, minimize_batch
from topograph.potentials.base import Potential

logger = logging.getLogger(__name__)

STATE_VERSION = 1

# Called with the coordinates (d,), the energy and the on-bounds mask (d,) of
# every quenched minimum.
MinimumCallback = Callable[[np.ndarray, float, np.ndarray], None]


@dataclass(frozen=True)
class QuenchSettings:
    """Settings of the L-BFGS quench shared by the chains of a population."""

    gradient_tolerance: float = 1e-6
    max_iterations: int = 10_000
    history_size: int = 10
    max_step: float | None = None
    bounded: bool = True


class BasinHoppingChain:
    """One seeded basin-hopping chain with an adaptive step size.

    Parameters
    ----------
    potential : Potential
        Energy landscape.
    start : array_like (d,)
        Starting point. The first step of :meth:`run` quenches it.
    seed : int or numpy.random.SeedSequence
        Seed of the chain's random generator.
    temperature : float
        Metropolis temperature in energy units. Zero accepts only minima
        that are not higher than the current one.
    step_size : float
        Initial half-width of the uniform displacement of each coordinate.
    adjust_interval : int
        Number of steps between step-size updates. Zero keeps the step size
        fixed.
    target_acceptance : float
        Acceptance ratio the step-size updates aim for.
    adjust_factor : float
        Factor in (0, 1) by which the step size shrinks when too few steps
        are accepted. Its inverse enlarges the step.
    min_step_size, max_step_size : float or None
        Limits of the adaptive step size.
    gradient_tolerance, max_iterations, history_size, max_step, bounded
        Settings of the quench, passed to :func:`minimize_batch`.
    """

    def __init__(
        self,
        potential: Potential,
        start: np.ndarray,
        seed: int | np.random.SeedSequence,
        temperature: float = 1.0,
        step_size: float = 0.5,
        adjust_interval: int = 50,
        target_acceptance: float = 0.5,
        adjust_factor: float = 0.9,
        min_step_size: float | None = None,
        max_step_size: float | None = None,
        gradient_tolerance: float = 1e-6,
        max_iterations: int = 10_000,
        history_size: int = 10,
        max_step: float | None = None,
        bounded: bool = True,
    ):
        if seed is None:
            raise ValueError(
                "seed is None; pass an integer seed so the chain can be repeated"
            )
        start = np.array(start, dtype=np.float64).reshape(-1)
        if start.shape[0] != potential.dimension:
            raise ValueError(
                f"start has {start.shape[0]} coordinates but the potential has "
                f"dimension {potential.dimension}"
            )
        _check_chain_parameters(
            temperature, step_size, adjust_interval, target_acceptance, adjust_factor
        )
        self.potential = potential
        self.temperature = float(temperature)
        self.step_size = float(step_size)
        self.adjust_interval = int(adjust_interval)
        self.target_acceptance = float(target_acceptance)
        self.adjust_factor = float(adjust_factor)
        self.min_step_size = None if min_step_size is None else float(min_step_size)
        self.max_step_size = None if max_step_size is None else float(max_step_size)
        self.quench = QuenchSettings(
            gradient_tolerance=float(gradient_tolerance),
            max_iterations=int(max_iterations),
            history_size=int(history_size),
            max_step=None if max_step is None else float(max_step),
            bounded=bool(bounded),
        )
        self.lower, self.upper = box_bounds(potential, self.quench.bounded)
        self.rng = np.random.default_rng(seed)

        self.start = start
        self.coordinates: np.ndarray | None = None
        self.energy = math.nan
        self.on_bounds = np.zeros(potential.dimension, dtype=bool)
        self.best_coordinates: np.ndarray | None = None
        self.best_energy = math.inf
        self.step = 0
        self.accepted = 0
        self.failed_quenches = 0
        self.window_steps = 0
        self.window_accepted = 0

    @property
    def initialised(self) -> bool:
        """Whether the starting point has been quenched."""
        return self.coordinates is not None

    @property
    def acceptance_ratio(self) -> float:
        """Fraction of the steps so far whose minimum was accepted."""
        return self.accepted / self.step if self.step else math.nan

    def propose(self) -> np.ndarray:
        """Draw the next trial point around the current minimum."""
        if not self.initialised:
            raise RuntimeError(
                "the chain has no current minimum; quench its start first "
                "(run() does this)"
            )
        displacement = self.rng.uniform(-1.0, 1.0, size=self.coordinates.shape)
        trial = self.coordinates + self.step_size * displacement
        if self.lower is not None:
            trial = np.clip(trial, self.lower, self.upper)
        return trial

    def set_start_minimum(
        self,
        coordinates: np.ndarray,
        energy: float,
        converged: bool,
        on_bounds: np.ndarray,
    ) -> None:
        """Make the quenched starting point the current minimum.

        An unconverged quench still becomes the current point, because the
        chain needs one.
        """
        self.coordinates = np.array(coordinates, dtype=np.float64)
        self.energy = float(energy)
        self.on_bounds = np.array(on_bounds, dtype=bool)
        self._update_best()

    def finish_step(
        self,
        coordinates: np.ndarray,
        energy: float,
        converged: bool,
        on_bounds: np.ndarray,
    ) -> bool:
        """Apply the Metropolis test to a quenched trial point.

        Draws exactly one uniform number, counts the step and adapts the step
        size at the end of each interval. Returns whether the minimum was
        accepted. An unconverged quench is always rejected.
        """
        energy = float(energy)
        uniform = self.rng.random()
        accept = False
        if not converged:
            self.failed_quenches += 1
        elif energy <= self.energy:
            accept = True
        elif self.temperature > 0:
            accept = uniform < math.exp(-(energy - self.energy) / self.temperature)

        if accept:
            self.coordinates = np.array(coordinates, dtype=np.float64)
            self.energy = energy
            self.on_bounds = np.array(on_bounds, dtype=bool)
            self.accepted += 1
            self.window_accepted += 1
            self._update_best()
        self.step += 1
        self.window_steps += 1
        if self.adjust_interval and self.window_steps >= self.adjust_interval:
            self._adjust_step_size()
        return accept

    def run(self, steps: int, callback: MinimumCallback | None = None) -> None:
        """Take ``steps`` basin-hopping steps.

        The first call also quenches the starting point. ``callback`` is
        called with ``(coordinates, energy, on_bounds)`` for every converged
        quench, the quench of the start included.
        """
        advance_chains([self], steps, callback=_single_chain_callback(callback))

    def state_dict(self) -> dict:
        """Return the whole state of the chain as JSON-serialisable values."""
        return {
            "version": STATE_VERSION,
            "dimension": int(self.potential.dimension),
            "rng": _generator_state(self.rng),
            "start": self.start.tolist(),
            "coordinates": _list_or_none(self.coordinates),
            "energy": _finite_or_none(self.energy),
            "on_bounds": self.on_bounds.tolist(),
            "best_coordinates": _list_or_none(self.best_coordinates),
            "best_energy": _finite_or_none(self.best_energy),
            "step": self.step,
            "accepted": self.accepted,
            "failed_quenches": self.failed_quenches,
            "window_steps": self.window_steps,
            "window_accepted": self.window_accepted,
            "temperature": self.temperature,
            "step_size": self.step_size,
            "adjust_interval": self.adjust_interval,
            "target_acceptance": self.target_acceptance,
            "adjust_factor": self.adjust_factor,
            "min_step_size": self.min_step_size,
            "max_step_size": self.max_step_size,
            "quench": {
                "gradient_tolerance": self.quench.gradient_tolerance,
                "max_iterations": self.quench.max_iterations,
                "history_size": self.quench.history_size,
                "max_step": self.quench.max_step,
                "bounded": self.quench.bounded,
            },
        }

    @classmethod
    def from_state(cls, potential: Potential, state: dict) -> BasinHoppingChain:
        """Rebuild a chain from :meth:`state_dict` output on ``potential``."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(
                f"unsupported basin-hopping state version {state.get('version')!r}; "
                f"this code reads version {STATE_VERSION}"
            )
        if state["dimension"] != potential.dimension:
            raise ValueError(
                f"the state is for dimension {state['dimension']} but the "
                f"potential has dimension {potential.dimension}"
            )

        chain = cls(
            potential,
            state["start"],
            seed=0,
            temperature=state["temperature"],
            step_size=state["step_size"],
            adjust_interval=state["adjust_interval"],
            target_acceptance=state["target_acceptance"],
            adjust_factor=state["adjust_factor"],
            min_step_size=state["min_step_size"],
            max_step_size=state["max_step_size"],
            **state["quench"],
        )

        chain.rng = _generator_from_state(state["rng"])
        if state["coordinates"] is not None:
            chain.coordinates = np.array(state["coordinates"], dtype=np.float64)
        chain.energy = math.nan if state["energy"] is None else float(state["energy"])
        chain.on_bounds = np.array(state["on_bounds"], dtype=bool)
        if state["best_coordinates"] is not None:
            chain.best_coordinates = np.array(
                state["best_coordinates"], dtype=np.float64
            )
        if state["best_energy"] is not None:
            chain.best_energy = float(state["best_energy"])

        for name in (
            "step", "accepted", "failed_quenches", "window_steps", "window_accepted",
        ):  # fmt: skip
            setattr(chain, name, int(state[name]))
        return chain

    def _update_best(self):
        if self.energy < self.best_energy:
            self.best_energy = self.energy
            self.best_coordinates = self.coordinates.copy()

    def _adjust_step_size(self):
        ratio = self.window_accepted / self.window_steps
        if ratio > self.target_acceptance:
            self.step_size /= self.adjust_factor
        else:
            self.step_size *= self.adjust_factor
        if self.min_step_size is not None:
            self.step_size = max(self.step_size, self.min_step_size)
        if self.max_step_size is not None:
            self.step_size = min(self.step_size, self.max_step_size)
        logger.debug(
            "step %d: acceptance %.2f, step size now %.4g",
            self.step,
            ratio,
            self.step_size,
        )
        self.window_steps = 0
        self.window_accepted = 0


def _check_chain_parameters(
    temperature, step_size, adjust_interval, target_acceptance, adjust_factor
):
    if not temperature >= 0:
        raise ValueError(f"temperature must be zero or positive, got {temperature!r}")
    if not step_size > 0:
        raise ValueError(f"step_size must be positive, got {step_size!r}")
    if int(adjust_interval) < 0:
        raise ValueError(
            f"adjust_interval must be zero (fixed step) or positive, got "
            f"{adjust_interval!r}"
        )
    if not 0 < target_acceptance < 1:
        raise ValueError(
            f"target_acceptance must lie in (0, 1), got {target_acceptance!r}"
        )
    if not 0 < adjust_factor < 1:
        raise ValueError(f"adjust_factor must lie in (0, 1), got {adjust_factor!r}")


def _list_or_none(array: np.ndarray | None) -> list | None:
    return None if array is None else array.tolist()


def _finite_or_none(value: float) -> float | None:
    # Strict JSON has no NaN or infinity.
    return float(value) if math.isfinite(value) else None


def _generator_state(rng: np.random.Generator) -> dict:
    # The bit-generator state contains only strings and Python integers
    # (128-bit for PCG64), which JSON stores exactly.
    return dict(rng.bit_generator.state)


def _generator_from_state(state: dict) -> np.random.Generator:
    name = state["bit_generator"]
    bit_generator_type = getattr(np.random, name, None)
    if bit_generator_type is None:
        raise ValueError(f"unknown bit generator {name!r} in the chain state")
    bit_generator = bit_generator_type()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _single_chain_callback(callback):
    if callback is None:
        return None

    def forward(chain_index, step, coordinates, energy, on_bounds):
        callback(coordinates, energy, on_bounds)

    return forward


# Called with the chain index, the step (0 for the quench of the start), the
# coordinates, the energy and the on-bounds mask of every converged quench.
PopulationCallback = Callable[[int, int, np.ndarray, float, np.ndarray], None]


def advance_chains(
    chains: Sequence[BasinHoppingChain],
    steps: int,
    callback: PopulationCallback | None = None,
) -> None:
    """Advance ``chains`` by ``steps`` basin-hopping steps in lockstep.

    All chains must share the potential and the quench settings. Chains whose
    start has not been quenched get that quench first, reported as step 0.
    For every step the proposals of all chains are quenched by one call of
    :func:`minimize_batch`. ``callback(chain_index, step, coordinates,
    energy, on_bounds)`` is called for each converged quench in the order
    of step, then chain index.
    """
    if not chains:
        return
    if int(steps) < 0:
        raise ValueError(f"steps must be zero or positive, got {steps!r}")
    potential = chains[0].potential
    quench = chains[0].quench
    for index, chain in enumerate(chains):
        if chain.potential is not potential or chain.quench != quench:
            raise ValueError(
                f"chain {index} has a different potential or quench settings than "
                "chain 0; advance such chains in separate calls"
            )
    settings = {
        "gradient_tolerance": quench.gradient_tolerance,
        "max_iterations": quench.max_iterations,
        "history_size": quench.history_size,
        "max_step": quench.max_step,
        "bounded": quench.bounded,
    }

    fresh = [index for index, chain in enumerate(chains) if not chain.initialised]
    if fresh:
        starts = np.stack([chains[index].start for index in fresh])
        result = minimize_batch(potential, starts, **settings)
        unconverged = int((~result.converged).sum())
        if unconverged:
            logger.warning(
                "%d of %d start quenches did not converge; those chains start from "
                "the last point of their quench",
                unconverged,
                len(fresh),
            )
        for row, index in enumerate(fresh):
            chains[index].set_start_minimum(
                result.coordinates[row],
                result.energies[row],
                result.converged[row],
                result.on_bounds[row],
            )
            if callback is not None and result.converged[row]:
                callback(
                    index,
                    0,
                    result.coordinates[row],
                    float(result.energies[row]),
                    result.on_bounds[row],
                )

    for _ in range(int(steps)):
        trials = np.stack([chain.propose() for chain in chains])
        result = minimize_batch(potential, trials, **settings)
        for index, chain in enumerate(chains):
            chain.finish_step(
                result.coordinates[index],
                result.energies[index],
                result.converged[index],
                result.on_bounds[index],
            )
            if callback is not None and result.converged[index]:
                callback(
                    index,
                    chain.step,
                    result.coordinates[index],
                    float(result.energies[index]),
                    result.on_bounds[index],
                )


@dataclass
class PopulationResult:
    """Every converged quench of :func:`basin_hop_population`.

    Rows are ordered by step, then by chain. Step 0 contains the quenches of
    the starting points. Duplicates are kept: removing them is the job of the
    stationary-point database.

    Attributes
    ----------
    coordinates : ndarray (k, d)
    energies : ndarray (k,)
    on_bounds : ndarray (k, d) of bool
    chains : ndarray (k,) of int
        Index of the chain (the row of ``starts``) that found each minimum.
    steps : ndarray (k,) of int
    states : list of dict
        Final :meth:`BasinHoppingChain.state_dict` of every chain, for
        resuming with :func:`advance_chains`.
    """

    coordinates: np.ndarray
    energies: np.ndarray
    on_bounds: np.ndarray
    chains: np.ndarray
    steps: np.ndarray
    states: list[dict]

    def __len__(self) -> int:
        return len(self.energies)


def basin_hop_population(
    potential: Potential,
    starts: np.ndarray,
    steps: int,
    seed: int,
    temperature: float = 1.0,
    step_size: float = 0.5,
    **chain_options,
) -> PopulationResult:
    """Run one basin-hopping chain from every row of ``starts`` in lockstep.

    Parameters
    ----------
    potential : Potential
        Energy landscape.
    starts : array_like (n, d)
        Starting points, one chain each.
    steps : int
        Basin-hopping steps per chain after the quench of its start.
    seed : int
        Root seed. Chain ``i`` draws from ``SeedSequence(seed).spawn(n)[i]``,
        so its sequence does not depend on how many chains run beside it.
    temperature, step_size : float
        As for :class:`BasinHoppingChain`.
    **chain_options
        Further keyword arguments of :class:`BasinHoppingChain`.

    Returns
    -------
    PopulationResult
    """
    starts = np.array(starts, dtype=np.float64, ndmin=2)
    if starts.ndim != 2 or starts.shape[1] != potential.dimension:
        raise ValueError(
            f"starts must have shape (n, {potential.dimension}), got {starts.shape}"
        )
    children = np.random.SeedSequence(seed).spawn(starts.shape[0])
    chains = [
        BasinHoppingChain(
            potential,
            start,
            seed=child,
            temperature=temperature,
            step_size=step_size,
            **chain_options,
        )
        for start, child in zip(starts, children)
    ]
    found_coordinates = []
    found_energies = []
    found_on_bounds = []
    found_chains = []
    found_steps = []

    def record(chain_index, step, coordinates, energy, on_bounds):
        found_coordinates.append(coordinates)
        found_energies.append(energy)
        found_on_bounds.append(on_bounds)
        found_chains.append(chain_index)
        found_steps.append(step)

    advance_chains(chains, steps, callback=record)
    d = potential.dimension
    failed = sum(chain.failed_quenches for chain in chains)
    if failed:
        logger.warning(
            "%d of %d quenches did not converge and were rejected",
            failed,
            len(chains) * int(steps),
        )
    return PopulationResult(
        coordinates=np.array(found_coordinates, dtype=np.float64).reshape(-1, d),
        energies=np.array(found_energies, dtype=np.float64),
        on_bounds=np.array(found_on_bounds, dtype=bool).reshape(-1, d),
        chains=np.array(found_chains, dtype=np.int64),
        steps=np.array(found_steps, dtype=np.int64),
        states=[chain.state_dict() for chain in chains],
    )
