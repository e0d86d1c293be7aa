"""The ``fiscalsim`` command line: one module per command, shared options in
:mod:`model.cli.main.options`, and :mod:`model.cli.main.main` to parse and dispatch.
"""
