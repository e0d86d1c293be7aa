"""Tables and analyses built on simulations: budget tables, paired comparisons,
sensitivity (tornado, Sobol), goal seeking, convergence and the timeline's tables.

Money is in yuan throughout; presentation units belong to :mod:`model.report.report`.
"""
