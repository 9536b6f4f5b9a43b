"""The privacy-model options of `bulle anonymize`, derived from the models' declarations.

Every registered model (built-in or plug-in) names the option it is given with, its head word in
that option when several models share it, and its parameters in order. From that alone this
module builds the click options (``--k K``, ``--l-diversity [COLUMN=]SPEC``...): a plug-in model
that declares ``option = "--my-model"`` gets its option and its help line without any change
here. Their values are read into model requests by :mod:`bulle.domain.model_options`, from the
same declarations, when the command builds its ``AnonymizeRequest``.
"""

from __future__ import annotations

from typing import Any

import click

from bulle.domain.model_options import dest, option_groups, repeatable, shared, usage


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
            raise PluginError(
                f"privacy model {names} declares option {option!r}, which is not a new "
                "long option of `bulle anonymize`"
            )
        kwargs: dict[str, Any] = {"multiple": repeatable(models)}
        prefix = "[COLUMN=]" if repeatable(models) else ""
        if shared(models):
            kwargs["metavar"] = f"{prefix}SPEC"
            kwargs["help"] = " | ".join(usage(m) for m in models)
        else:
            (cls,) = models
            params = cls.parameters
            if len(params) == 1 and params[0].type in (int, float) and not prefix:
                kwargs["type"] = params[0].type
            else:
                kwargs["metavar"] = prefix + usage(cls)
            kwargs["help"] = cls.summary or cls.name
        made.append(click.Option([option, dest(option)], **kwargs))
    at = next(i for i, p in enumerate(command.params) if p.name == after) + 1
    command.params[at:at] = made
    return command
