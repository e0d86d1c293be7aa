"""What the policy says and what a scenario assumes: the catalog of line items, the
assumption distributions, the capital programmes' specifications and the scenario
(loading, variants, resolution, payment years, timing settings).

Imports only :mod:`model.core`.
"""
