"""Simulation: the vectorized grant engine, its results, the closed-form expectations,
and the SimPy timeline of monthly cash flow.

Imports :mod:`model.core`, :mod:`model.policy` and :mod:`model.finance`.
"""
