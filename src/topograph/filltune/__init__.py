"""Fill-tuning: find the rough regions of a model's latent space and fill them.

Each step has its own module:

- ``sampling``: latent samples and their neighbours;
- ``similarity`` and ``response``: the response of a model;
- ``gaussians``: Gaussians on the rough regions of the mapped landscape;
- ``roughness_surface`` and ``surface_minima``: their surface and its minima;
- ``proposal``: the proposed molecules;
- ``plots``: figures.
 Modules are imported on use, because RDKit and matplotlib are
slow to load.
"""
