"""Searches of an energy landscape: basin-hopping, elastic bands, transition states.

The modules are imported on demand: ``topograph.search.basin_hopping``,
``topograph.search.neb``, ``topograph.search.eigenvector_following`` and
``topograph.search.transition_state``.
"""
