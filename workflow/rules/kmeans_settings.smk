# Settings, landscapes and input functions of the K-means study; its rules
# are in kmeans.smk.

from topograph.kmeans.grid import (
    check_cluster_counts,
    data_file,
    landscape_description,
    study_cells,
)

KMEANS = config["kmeans"]
check_cluster_counts(KMEANS)
KMEANS_CELLS = study_cells(KMEANS) if KMEANS["datasets"] else []
KMEANS_FOLDER = f"{RESULTS}/kmeans"

for _cell in KMEANS_CELLS:
    register_landscape(
        _cell["name"], landscape_description(KMEANS, _cell, RESULTS), "kmeans"
    )
KMEANS_CELL = {cell["name"]: cell for cell in KMEANS_CELLS}


def kmeans_dataset_options(wildcards):
    """Return the `topograph kmeans data` options of a configured data set."""
    settings = KMEANS["datasets"][wildcards.kmeans_dataset]
    options = [settings["source"]]
    if settings["standardise"]:
        options.append("--standardise")
    if settings["source"] == "blobs":
        options += [
            f"--n-samples {settings['n_samples']}",
            f"--centers {settings['centers']}",
            f"--n-features {settings['n_features']}",
            f"--cluster-std {settings['cluster_std']}",
            f"--blob-seed {settings['seed']}",
        ]
    if settings["source"] == "csv":
        options.append(f"--path '{settings['path']}'")
        if settings["label_column"] is not None:
            options.append(f"--label-column '{settings['label_column']}'")
    return " ".join(options)


def kmeans_user_file(wildcards):
    settings = KMEANS["datasets"][wildcards.kmeans_dataset]
    return [settings["path"]] if settings["source"] == "csv" else []


def kmeans_cell_data(wildcards):
    cell = KMEANS_CELL[wildcards.landscape]
    return data_file(RESULTS, cell["dataset"], cell["outliers"], cell["seed"])
