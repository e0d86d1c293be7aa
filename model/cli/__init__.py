"""The ``fiscalsim`` command line: one module per command, shared options in
:mod:`model.cli.options`, and :mod:`model.cli.main` to parse and dispatch.
"""
