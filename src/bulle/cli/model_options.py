"""The privacy-model options of `bulle anonymize`, derived from the models' declarations.

Every registered model (built-in or plug-in, :data:`bulle.anonymization.models.MODELS`) names the
option it is given with, its head word in that option when several models share it, and its
parameters in order (:class:`bulle.anonymization.models.parameters.Param`). From that alone this
module builds the click options and reads their values into ``ModelSpec`` objects, so the
spellings documented in docs/anonymization.md stay as they are::

    --k K                                   one integer parameter: a typed option
    --l-diversity [COLUMN=]distinct:L       models sharing an option: VARIANT:P1[:P2...]
    --t-closeness [COLUMN=]ordered:T[:lexical|numeric]
    --delta-presence DMIN:DMAX              several parameters of one model: P1:P2

and a plug-in model that declares ``option = "--my-model"`` gets its option, its help line and
its parsing without any change here. Models protecting a sensitive attribute are repeatable (one
per sensitive column) and take an optional ``COLUMN=`` prefix.
"""

from __future__ import annotations

from typing import Any

import click

from bulle.errors import InputError, Where


def option_groups() -> dict[str, list[Any]]:
    """Option → the models given with it, in registry order (built-ins first)."""
    from bulle.anonymization.models import MODELS

    groups: dict[str, list[Any]] = {}
    for name in MODELS.names():
        cls = MODELS.get(name)
        groups.setdefault(cls.option, []).append(cls)
    return groups


def dest(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def _usage(cls: Any) -> str:
    required = [p.metavar for p in cls.parameters if p.required]
    optional = "".join(f"[:{p.metavar}]" for p in cls.parameters if not p.required)
    head = [cls.variant] if cls.variant else []
    return ":".join(head + required) + optional


def _shared(models: list[Any]) -> bool:
    return any(m.variant for m in models)


def _repeatable(models: list[Any]) -> bool:
    return any(m.needs_attribute for m in models)


def add_model_options(command: click.Command, after: str) -> click.Command:
    """Insert one click option per option group (registry order) after the parameter ``after``.

    An option a model declares must be a new long option: a plug-in cannot take over one of the
    command's own options (``--output``, ``--k``...), it is refused naming its origin.
    """
    from bulle.anonymization.models import MODELS
    from bulle.errors import PluginError

    taken = {o for p in command.params for o in p.opts} | {p.name for p in command.params}
    made: list[click.Option] = []
    for option, models in option_groups().items():
        if not option.startswith("--") or option in taken or dest(option) in taken:
            names = ", ".join(f"{m.name!r} ({MODELS.origin(m.name)})" for m in models)
            raise PluginError(f"privacy model {names} declares option {option!r}, which is not a new "
                              "long option of `bulle anonymize`")
        kwargs: dict[str, Any] = {"multiple": _repeatable(models)}
        prefix = "[COLUMN=]" if _repeatable(models) else ""
        if _shared(models):
            kwargs["metavar"] = f"{prefix}SPEC"
            kwargs["help"] = " | ".join(_usage(m) for m in models)
        else:
            (cls,) = models
            params = cls.parameters
            if len(params) == 1 and params[0].type in (int, float) and not prefix:
                kwargs["type"] = params[0].type
            else:
                kwargs["metavar"] = prefix + _usage(cls)
            kwargs["help"] = cls.summary or cls.name
        made.append(click.Option([option, dest(option)], **kwargs))
    at = next(i for i, p in enumerate(command.params) if p.name == after) + 1
    command.params[at:at] = made
    return command


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
        raise InputError(f"{option} needs a sensitive column: add --sensitive COLUMN", Where(field=option))
    raise InputError(f"with several sensitive columns, prefix {option} with COLUMN= "
                     f"(e.g. {option} {sensitive[0]}={spec})", Where(field=option))


def _values(cls: Any, parts: list[str], option: str) -> dict[str, Any] | None:
    """The parameters read from the option's parts, or None if their number is wrong."""
    params = cls.parameters
    required = sum(1 for p in params if p.required)
    if not required <= len(parts) <= len(params):
        return None
    out: dict[str, Any] = {}
    for p, text in zip(params, parts, strict=False):
        out[p.name] = p.normalize(text) if p.choices else _number(text, option, p.name)
    for p in params[len(parts):]:
        if p.recorded:
            out[p.name] = p.default
    return out


def _one(option: str, models: list[Any], text: Any, sensitive: list[str]):
    from bulle.anonymization.spec import ModelSpec

    column = None
    if _repeatable(models):
        column, text = _target(str(text), sensitive, option)
    if not _shared(models):
        (cls,) = models
        if len(cls.parameters) == 1 and not isinstance(text, str):
            return ModelSpec(cls.name, column, {cls.parameters[0].name: text})  # typed by click
        values = _values(cls, str(text).split(":"), option)
        if values is None:
            raise InputError(f"expected {_usage(cls)}, got {text!r}", Where(field=option))
        return ModelSpec(cls.name, column, values)
    parts = str(text).split(":")
    head = parts[0].lower()
    for cls in models:
        if cls.variant == head:
            values = _values(cls, parts[1:], option)
            if values is not None:
                return ModelSpec(cls.name, column, values)
    usages = [_usage(m) for m in models]
    listed = usages[0] if len(usages) == 1 else f"{', '.join(usages[:-1])} or {usages[-1]}"
    raise InputError(f"cannot read {text!r}: use {listed}", Where(field=option))


def parse_models(values: dict[str, Any], sensitive: list[str]) -> list[Any]:
    """ModelSpecs from the options' values (``dest(option)`` → value or tuple of values)."""
    specs = []
    for option, models in option_groups().items():
        given = values.get(dest(option))
        if given is None:
            continue
        for text in given if isinstance(given, tuple | list) else [given]:
            specs.append(_one(option, models, text, sensitive))
    return specs
