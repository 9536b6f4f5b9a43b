"""Bulle: a self-hosted trusted data environment for personal data.

The public Python API lives in :mod:`bulle.api`; it is re-exported here lazily so that importing
``bulle`` stays cheap.
"""

from __future__ import annotations

from bulle.version import __version__ as __version__

_API = {
    "Workspace",
    "open_workspace",
    "init_workspace",
    "restore_workspace",
    "Actor",
    "Role",
    "synthesize",
}


def __getattr__(name: str):
    if name == "connect":  # a client of a Bulle server (bulle.client)
        from bulle.client import connect

        return connect
    if name in _API:
        from bulle import api

        return getattr(api, name)
    raise AttributeError(name)
