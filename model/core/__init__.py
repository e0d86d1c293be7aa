"""The bottom layer: input problems, the strict schema base, YAML reading, keyed random
streams, Monte Carlo statistics, project paths and the package version.

Nothing here imports another layer of :mod:`model`.
"""
