"""How a privacy model is asked for by name and text, read from the model's own declaration.

Every registered model (built-in or plug-in, :data:`bulle.anonymization.models.MODELS`) names the
option it is given with, its head word in that option when several models share it, and its
parameters in order (:class:`bulle.anonymization.models.Param`). From that alone this module reads
an option's values into :class:`~bulle.domain.anonymization_requests.ModelRequest` objects, so
the spellings documented in docs/anonymization.md stay as they are::

    --k K                                   one integer parameter: a typed option
    --l-diversity [COLUMN=]distinct:L       models sharing an option: VARIANT:P1[:P2...]
    --t-closeness [COLUMN=]ordered:T[:lexical|numeric]
    --delta-presence DMIN:DMAX              several parameters of one model: P1:P2

and a plug-in model that declares ``option = "--my-model"`` is read without any change here. The
CLI builds its click options from the same declarations (``bulle.cli.model_options``); the Python
API passes the values under the options' names (``l_diversity=[...]``, ``min_size=4``). Models
protecting a sensitive attribute are repeatable (one per sensitive column) and take an optional
``COLUMN=`` prefix. Reading is syntax only: the ranges are checked by the model itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bulle.errors import InputError, Problem, Where

if TYPE_CHECKING:
    from bulle.domain.anonymization_requests import ModelRequest


def option_groups() -> dict[str, list[Any]]:
    """Option → the models given with it, in registry order (built-ins first)."""
    from bulle.anonymization.models import MODELS

    groups: dict[str, list[Any]] = {}
    for name in MODELS.names():
        cls = MODELS.get(name)
        groups.setdefault(cls.option, []).append(cls)
    return groups


def dest(option: str) -> str:
    """The name an option's value goes under (``--l-diversity`` → ``l_diversity``)."""
    return option.lstrip("-").replace("-", "_")


def usage(cls: Any) -> str:
    """How a model's value is written: ``distinct:L``, ``DMIN:DMAX``, ``ordered:T[:lexical|numeric]``."""
    required = [p.metavar for p in cls.parameters if p.required]
    optional = "".join(f"[:{p.metavar}]" for p in cls.parameters if not p.required)
    head = [cls.variant] if cls.variant else []
    return ":".join(head + required) + optional


def shared(models: list[Any]) -> bool:
    """Several models given with one option, told apart by their head word."""
    return any(m.variant for m in models)


def repeatable(models: list[Any]) -> bool:
    """Models protecting a sensitive attribute: one per sensitive column."""
    return any(m.needs_attribute for m in models)


def parse_models(
    values: Mapping[str, Any], sensitive: list[str], problems: list[Problem] | None = None
) -> list[ModelRequest]:
    """Models from the options' values (``dest(option)`` → a value or a sequence of values).

    With ``problems`` every bad value is added to it and reading goes on; without, the first one
    is raised. A name that is no registered model's option is refused, naming the known ones.
    """
    collect: list[Problem] = [] if problems is None else problems
    groups = option_groups()
    known = {dest(o) for o in groups}
    for name in values:
        if name not in known:
            collect.append(
                Problem(
                    f"no privacy model is given with {name!r}; known: {', '.join(sorted(known))}",
                    Where(field=name),
                )
            )
    requests: list[ModelRequest] = []
    for option, models in groups.items():
        given = values.get(dest(option))
        if given is None:
            continue
        for text in [given] if isinstance(given, str | int | float) else list(given):
            try:
                requests.append(_one(option, models, text, sensitive))
            except InputError as exc:
                collect.append(Problem(exc.message, exc.where))
        if problems is None and collect:
            break
    if problems is None and collect:
        raise InputError(collect[0].message, collect[0].where)
    return requests


def _number(text: str, option: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{name} must be a number, got {text!r}", Where(field=option)) from None


def _target(spec: str, sensitive: list[str], option: str) -> tuple[str, str]:
    """Split an optional ``COLUMN=`` prefix; without it the single sensitive column is meant."""
    head = spec.split(":", 1)[0]
    if "=" in head:
        column, rest = spec.split("=", 1)
        return column, rest
    if len(sensitive) == 1:
        return sensitive[0], spec
    if not sensitive:
        raise InputError(
            f"{option} needs a sensitive column: add --sensitive COLUMN", Where(field=option)
        )
    raise InputError(
        f"with several sensitive columns, prefix {option} with COLUMN= "
        f"(e.g. {option} {sensitive[0]}={spec})",
        Where(field=option),
    )


def _values(cls: Any, parts: list[str], option: str) -> dict[str, Any] | None:
    """The parameters read from the option's parts, or None if their number is wrong."""
    params = cls.parameters
    required = sum(1 for p in params if p.required)
    if not required <= len(parts) <= len(params):
        return None
    out: dict[str, Any] = {}
    for p, text in zip(params, parts, strict=False):
        out[p.name] = p.normalize(text) if p.choices else _number(text, option, p.name)
    for p in params[len(parts) :]:
        if p.recorded:
            out[p.name] = p.default
    return out


def _one(option: str, models: list[Any], text: Any, sensitive: list[str]) -> ModelRequest:
    from bulle.domain.anonymization_requests import ModelRequest

    column = None
    if repeatable(models):
        column, text = _target(str(text), sensitive, option)
    if not shared(models):
        (cls,) = models
        if len(cls.parameters) == 1 and not isinstance(text, str):
            return ModelRequest(
                cls.name, column, ((cls.parameters[0].name, text),)
            )  # typed already
        values = _values(cls, str(text).split(":"), option)
        if values is None:
            raise InputError(f"expected {usage(cls)}, got {text!r}", Where(field=option))
        return ModelRequest(cls.name, column, tuple(values.items()))
    parts = str(text).split(":")
    head = parts[0].lower()
    for cls in models:
        if cls.variant == head:
            values = _values(cls, parts[1:], option)
            if values is not None:
                return ModelRequest(cls.name, column, tuple(values.items()))
    usages = [usage(m) for m in models]
    listed = usages[0] if len(usages) == 1 else f"{', '.join(usages[:-1])} or {usages[-1]}"
    raise InputError(f"cannot read {text!r}: use {listed}", Where(field=option))
