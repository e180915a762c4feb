# Settings, landscapes and input functions of the Gaussian-process study;
# its rules are in gp.smk.

import json

from topograph.gp.data import check_dataset_settings
from topograph.potentials.gp_likelihood import check_bounds

GP = config["gp"]
GP_FOLDER = f"{RESULTS}/gp"
GP_DATASETS = list(GP["datasets"])


def check_gp_settings():
    """Reject settings the schema cannot express, before any job runs."""
    try:
        check_bounds(GP["bounds"])
    except ValueError as error:
        raise ValueError(f"gp.bounds: {error}") from None
    for name, settings in GP["datasets"].items():
        check_dataset_settings(name, settings)


check_gp_settings()


def gp_selected(part):
    """Return the data sets of one part of the study, checked against gp.datasets."""
    names = GP[part]["datasets"]
    unknown = [name for name in names if name not in GP["datasets"]]
    if unknown:
        raise ValueError(
            f"gp.{part}.datasets names {unknown}, which are not in gp.datasets; "
            f"configured: {', '.join(GP_DATASETS)}"
        )
    return names


def gp_settings(part):
    """Return a params function: the JSON settings of one part of the study."""

    def settings(wildcards):
        shared = {"seed": GP["seed"], "ard": GP["ard"], "bounds": GP["bounds"]}
        return json.dumps({**shared, **GP[part]["settings"]}, sort_keys=True)

    return settings


for _name in gp_selected("landscape") if GP_DATASETS else []:
    register_landscape(
        f"gp_{_name}",
        {
            "potential": {
                "potential": "gp_likelihood",
                "parameters": {
                    "data": f"{GP_FOLDER}/data/{_name}.csv",
                    "nu": "free",
                    "ard": GP["ard"],
                    "bounds": GP["bounds"],
                },
            },
            **GP["landscape"]["engine"],
        },
        "gp",
    )
