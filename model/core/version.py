"""The installed package's version, for manifests and ``fiscalsim --version``."""

from __future__ import annotations


def package_version() -> str:
    """The installed fiscalsim version (``0+unknown`` when run from a bare checkout).

    ``importlib.metadata`` is imported here, not at the top: the command line imports this
    module before it can stop cleanly on Ctrl-C, and every millisecond before that counts.
    """
    from importlib import metadata

    try:
        return metadata.version("fiscalsim")
    except metadata.PackageNotFoundError:
        return "0+unknown"
