"""The installed package's version, for manifests and ``fiscalsim --version``."""

from __future__ import annotations

from importlib import metadata


def package_version() -> str:
    """The installed fiscalsim version (``0+unknown`` when run from a bare checkout)."""
    try:
        return metadata.version("fiscalsim")
    except metadata.PackageNotFoundError:
        return "0+unknown"
