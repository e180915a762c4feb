# topograph: energy landscapes of machine-learning models.
#
# The configuration is validated against config/schema.yaml, and every
# landscape against the package's landscape schema, before any job runs.
# Each rule calls the `topograph` command line, so every step also runs by
# hand; outputs go under config["results"], logs under config["logs"].

from snakemake.utils import min_version, validate

from topograph.landscape.spec import check_configuration

min_version("9.0")


configfile: "config/config.yaml"


# Names every unknown key with its nearest valid one; validate then fills
# in the defaults.
check_configuration(config, "config/schema.yaml")
# Mappings from several configuration files merge key by key, so a
# fill-tuning model set to null is how a --configfile drops a demo model.
_filltune_models = config.get("filltune", {}).get("models") or {}
for _name in [name for name, value in _filltune_models.items() if value is None]:
    del _filltune_models[_name]
validate(config, "config/schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/landscape.smk"
include: "workflow/rules/kmeans_settings.smk"
include: "workflow/rules/kmeans.smk"
include: "workflow/rules/gp_settings.smk"
include: "workflow/rules/gp.smk"
include: "workflow/rules/models_settings.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/filltune_settings.smk"
include: "workflow/rules/filltune.smk"


rule all:
    input:
        all_landscape_outputs(),
        STUDY_OUTPUTS,
