"""The capital programmes: the seed and angel funds (article 20), 先投后股 (article 11)
and the loan-risk compensation pool (article 21), each behind the
:class:`model.finance.contract.Programme` protocol.

Imports :mod:`model.core` and :mod:`model.policy`.
"""
