"""Run TopSearch 0.0.3's data-set landscape pipeline on one data set and time it.

This script runs inside the separate TopSearch environment
(``benchmarks/.envs/topsearch``, built by ``topsearch_comparison.py``) and never
imports topograph. It wires TopSearch's own classes the way its data-set
roughness examples do:

1. ``ModelData`` reads the inputs and the response, which the caller has
   already scaled to [0, 1].
2. ``DatasetInterpolation`` fits SciPy's ``RBFInterpolator`` (thin-plate
   spline) with the given smoothing.
3. ``BasinHopping`` runs a short chain from every data point through
   ``NetworkSampling.get_minima``, which also drops minima whose
   finite-difference Hessian is not positive definite (minima on the box
   bounds are kept without that test).
4. ``NetworkSampling.get_transition_states`` with ``ClosestEnumeration``
   pairs each minimum with its nearest minima and runs a nudged elastic band
   and then hybrid eigenvector-following on every band maximum.

TopSearch differentiates the interpolant by central finite differences and
builds Hessians from finite-difference gradients, so it is slow by design.

The result is one JSON file with wall times per stage, minimum and
transition-state counts as TopSearch's ``KineticTransitionNetwork`` reports
them, the number of minima on the box bounds, and the number of interpolant
evaluations. TopSearch draws from NumPy's global random state, so the script
seeds it from ``--seed``.
"""

import argparse
import json
import os
import time
import warnings

import numpy as np
import scipy
from topsearch.data.coordinates import StandardCoordinates
from topsearch.data.kinetic_transition_network import KineticTransitionNetwork
from topsearch.data.model_data import ModelData
from topsearch.global_optimisation.basin_hopping import BasinHopping
from topsearch.global_optimisation.perturbations import StandardPerturbation
from topsearch.potentials.dataset_fitting import DatasetInterpolation
from topsearch.sampling.exploration import NetworkSampling
from topsearch.similarity.similarity import StandardSimilarity
from topsearch.transition_states.hybrid_eigenvector_following import (
    HybridEigenvectorFollowing,
)
from topsearch.transition_states.nudged_elastic_band import NudgedElasticBand

# Settings that the comparison does not vary, taken from TopSearch's data-set
# roughness example (examples/scripts/dataset_roughness/
# custom_dataset_roughness/run.py in IBM/topography-searcher). Tolerances are
# in scaled units because coordinates and response both span [0, 1].
SIMILARITY = {
    "distance_criterion": 0.02,
    "energy_criterion": 5e-2,
    "proportional_distance": True,
}
PERTURBATION = {"max_displacement": 1.0, "proportional_distance": True}
EIGENVECTOR_FOLLOWING = {
    "ts_conv_crit": 5e-4,
    "ts_steps": 75,
    "pushoff": 5e-3,
    "steepest_descent_conv_crit": 1e-4,
    "max_uphill_step_size": 1e1,
    "min_uphill_step_size": 1e-8,
    "eigenvalue_conv_crit": 1e-3,
    "positive_eigenvalue_step": 1e-2,
}
ELASTIC_BAND = {
    "force_constant": 5e2,
    "image_density": 50.0,
    "max_images": 30,
    "neb_conv_crit": 1e-2,
}
MINIMISATION_TOLERANCE = 1e-4


class CountingInterpolation(DatasetInterpolation):
    """``DatasetInterpolation`` that counts its function evaluations.

    The count is kept per process, so it leaves out the evaluations made by
    TopSearch's worker processes during parallel connection attempts.
    """

    evaluations = 0

    def function(self, position):
        CountingInterpolation.evaluations += 1
        return super().function(position)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--training", required=True, help="inputs, one row a point")
    parser.add_argument("--response", required=True, help="response, one value a row")
    parser.add_argument("--output", required=True, help="JSON file for the results")
    parser.add_argument(
        "--workdir",
        required=True,
        help="directory to run in, where TopSearch writes its 'logfile'",
    )
    parser.add_argument("--smoothing", type=float, default=1e-4)
    parser.add_argument(
        "--steps", type=int, default=5, help="basin-hopping steps from each point"
    )
    parser.add_argument("--temperature", type=float, default=100.0)
    parser.add_argument(
        "--neighbours", type=int, default=12, help="nearest minima paired with each"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="worker processes for connection attempts (1 runs them serially)",
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def count_bounds_minima(ktn, coords):
    """Count the minima that TopSearch's ``at_bounds`` test puts on a bound."""
    count = 0
    for index in range(ktn.n_minima):
        coords.position = ktn.get_minimum_coords(index).copy()
        count += bool(coords.at_bounds())
    return count


def main():
    arguments = parse_arguments()
    training = os.path.abspath(arguments.training)
    response = os.path.abspath(arguments.response)
    output = os.path.abspath(arguments.output)
    os.makedirs(arguments.workdir, exist_ok=True)
    os.chdir(arguments.workdir)

    # NumPy 1.26 warns on every float() of a one-element array, which
    # DatasetInterpolation.function does on each call.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    np.random.seed(arguments.seed)
    start = time.perf_counter()

    model_data = ModelData(training_file=training, response_file=response)
    dimension = model_data.n_dims
    coords = StandardCoordinates(ndim=dimension, bounds=[(0.0, 1.0)] * dimension)
    interpolation = CountingInterpolation(
        model_data=model_data, smoothness=arguments.smoothing
    )
    similarity = StandardSimilarity(**SIMILARITY)
    ktn = KineticTransitionNetwork()
    basin_hopping = BasinHopping(
        ktn=ktn,
        potential=interpolation,
        similarity=similarity,
        step_taking=StandardPerturbation(**PERTURBATION),
    )
    explorer = NetworkSampling(
        ktn=ktn,
        coords=coords,
        global_optimiser=basin_hopping,
        single_ended_search=HybridEigenvectorFollowing(
            potential=interpolation, **EIGENVECTOR_FOLLOWING
        ),
        double_ended_search=NudgedElasticBand(potential=interpolation, **ELASTIC_BAND),
        similarity=similarity,
        multiprocessing_on=arguments.processes > 1,
        n_processes=arguments.processes,
    )
    fitted = time.perf_counter()

    for point in model_data.training:
        coords.position = point.copy()
        explorer.get_minima(
            coords=coords,
            n_steps=arguments.steps,
            conv_crit=MINIMISATION_TOLERANCE,
            temperature=arguments.temperature,
            test_valid=True,
        )
    hopped = time.perf_counter()
    minima_after_hopping = ktn.n_minima
    bounds_minima_after_hopping = count_bounds_minima(ktn, coords)
    evaluations_hopping = CountingInterpolation.evaluations

    explorer.get_transition_states(
        method="ClosestEnumeration",
        cycles=arguments.neighbours,
        remove_bounds_minima=False,
    )
    connected = time.perf_counter()
    # Written after the clock stops: min.data, min.coords, ts.data, ts.coords
    # and pairlist in the working directory.
    ktn.dump_network()

    evaluations_connection = CountingInterpolation.evaluations - evaluations_hopping
    result = {
        "package": "topsearch 0.0.3",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "dimension": dimension,
        "points": model_data.n_points,
        "seed": arguments.seed,
        "processes": arguments.processes,
        "seconds_fit": fitted - start,
        "seconds_basin_hopping": hopped - fitted,
        "seconds_transition_states": connected - hopped,
        "seconds_total": connected - start,
        "minima_after_basin_hopping": minima_after_hopping,
        "bounds_minima_after_basin_hopping": bounds_minima_after_hopping,
        "minima": ktn.n_minima,
        "bounds_minima": count_bounds_minima(ktn, coords),
        "transition_states": ktn.n_ts,
        "pairs_attempted": int(len(ktn.pairlist)),
        "evaluations_basin_hopping": evaluations_hopping,
        "evaluations_transition_states": (
            evaluations_connection if arguments.processes == 1 else None
        ),
    }
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
