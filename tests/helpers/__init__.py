"""Helpers shared by test modules of several folders (``tests/conftest.py`` puts the
``tests`` folder on ``sys.path``, so ``from helpers.funds import binary_fund`` works under
``--import-mode=importlib``)."""
