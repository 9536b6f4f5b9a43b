"""Privacy models: one interface, one registry, one file per model.

A model judges equivalence classes, all at once (numpy arrays over classes), as ARX does: a class
that fails is suppressed as a whole, and a transformation is anonymous when the suppressed records
fit the limit. Each model declares whether it is monotonic (with and without suppression) so the
search may prune the lattice only where that is mathematically safe, and its minimal class size
(ARX checks ``max(k, ceil(l))`` before any other model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from bulle.anonymization.models.parameters import Param, positive_number
from bulle.registry import Registry

if TYPE_CHECKING:
    from bulle.anonymization.encoding import Encoded, SensitiveColumn
    from bulle.anonymization.spec import AnonymizationSpec, ModelSpec

__all__ = ["MODELS", "ClassView", "Param", "PrivacyModel", "positive_number", "register"]

BUILTIN = (
    "k_anonymity",
    "distinct_l_diversity",
    "entropy_l_diversity",
    "recursive_cl_diversity",
    "t_closeness_equal",
    "t_closeness_ordered",
    "t_closeness_hierarchical",
    "delta_presence",
)
# Entry-point group ``bulle.models``: a plug-in model is a PrivacyModel subclass.
MODELS: Registry[type[PrivacyModel]] = Registry(
    "models", "privacy model", tuple(f"bulle.anonymization.models.{m}" for m in BUILTIN)
)


class ClassView:
    """The classes a model must judge: sizes, and sensitive histograms built on demand."""

    def __init__(self, size: np.ndarray, psize: np.ndarray | None, histogram_fn):
        self.size = size
        self.psize = psize
        self._histogram_fn = histogram_fn
        self._cache: dict[str, np.ndarray] = {}

    def histogram(self, attribute: str) -> np.ndarray:
        """(classes, values) counts of the sensitive attribute's values (subset records only)."""
        h = self._cache.get(attribute)
        if h is None:
            h = self._histogram_fn(attribute)
            self._cache[attribute] = h
        return h


class PrivacyModel:
    """Base of every model. Subclasses set the class attributes and implement ``check``."""

    name: ClassVar[str]
    option: ClassVar[str] = "models"  # the CLI option that declares it
    variant: ClassVar[str | None] = None  # its head word in that option (``distinct`` in
    #                                            ``--l-diversity distinct:L``), when it shares it
    parameters: ClassVar[tuple[Param, ...]] = ()  # in the order the option's value lists them
    summary: ClassVar[str] = ""  # the option's help when the model has it alone
    needs_attribute: ClassVar[bool] = True  # protects a sensitive attribute
    monotonic_with_suppression: ClassVar[bool] = False
    monotonic_without_suppression: ClassVar[bool] = True
    first: ClassVar[bool] = False  # ARX checks δ-presence before the other models

    def __init__(self, spec: ModelSpec, enc: Encoded):
        self.spec = spec
        self.attribute = spec.attribute
        self.params = dict(spec.params)

    # -- declaration -----------------------------------------------------------------------------
    @classmethod
    def spec_problems(cls, spec: ModelSpec, full: AnonymizationSpec) -> list[str]:
        problems = []
        if cls.needs_attribute:
            if spec.attribute is None:
                problems.append(f"{cls.name} needs a sensitive attribute (--sensitive COLUMN)")
            elif spec.attribute not in full.sensitive:
                problems.append(
                    f"{cls.name} protects {spec.attribute!r}, which is not a sensitive "
                    f"column (declare it with --sensitive)"
                )
        problems += cls.param_problems(dict(spec.params), full, spec)
        return problems

    @classmethod
    def param_problems(
        cls, params: dict[str, Any], full: AnonymizationSpec, spec: ModelSpec
    ) -> list[str]:
        """Problems with the parameters' values, from the declared :attr:`parameters`."""
        return [msg for p in cls.parameters for msg in p.problems(params)]

    @property
    def min_class_size(self) -> int | None:
        """Smallest class this model can accept (ARX's minimal group size), if it defines one."""
        return None

    def is_monotonic(self, suppression: bool) -> bool:
        return (
            self.monotonic_with_suppression if suppression else self.monotonic_without_suppression
        )

    def check(self, view: ClassView) -> np.ndarray:
        """One boolean per class: does the class satisfy the model?"""
        raise NotImplementedError

    @property
    def bounds_failures(self) -> bool:
        """Whether :meth:`failing_share` gives a bound (models without one disable certificates)."""
        return False

    def failing_share(self, view: ClassView) -> np.ndarray:
        """Per class: a lower bound on the share of its records that fail this model however the
        class is split (a predecessor transformation splits every class into finer ones).

        Summed over the classes of a node, it bounds the records any predecessor must suppress:
        once that exceeds the limit, no predecessor is anonymous and the search prunes them all,
        even for models that are not monotonic with suppression (see docs/anonymization.md).
        """
        raise NotImplementedError

    def sensitive(self, enc: Encoded) -> SensitiveColumn:
        return enc.sensitive_column(self.attribute)

    def describe(self) -> dict[str, Any]:
        return self.spec.to_dict()


def register(cls: type[PrivacyModel]) -> type[PrivacyModel]:
    """Class decorator: register a privacy model under its ``name``."""
    MODELS.add(cls.name, cls)
    return cls
