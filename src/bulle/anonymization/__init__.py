"""Anonymization: hierarchies, privacy models, quality metrics, optimal lattice search, release.

Entry points: :func:`bulle.anonymization.service.anonymize_table` (the use case),
:class:`bulle.anonymization.spec.AnonymizationSpec` (what is asked) and
:mod:`bulle.anonymization.hierarchy` (ARX's hierarchy files). Submodules import numpy and the
engine lazily so that importing this package stays cheap for the CLI.
"""
