"""Reversible export: a whole workspace out to open formats, and back into an identical workspace.

The format is described for humans in ``docs/export-format.md``; ``manifest.py`` holds its
definition, ``tables.py`` the catalog as JSON Lines, ``export.py`` and ``import_.py`` the two
directions. The use cases (access checks, audit events, atomic placement) are in
``bulle.services.exchange``.
"""
