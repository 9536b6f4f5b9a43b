"""What a privacy model declares about its parameters: name, type, range, choices, default.

The declaration is the single source of the model's parameter checks (``PrivacyModel``'s default
``param_problems``) and of how its option is read (``bulle.domain.model_options``) and offered by
the CLI (``bulle.cli.model_options``), so a model, built-in or plug-in, is described once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One parameter. ``default is None`` means required; numbers are finite and bounded."""

    name: str
    type: type = float  # int, float or str
    minimum: float | None = None
    strict: bool = False  # the minimum itself is refused
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    label: str | None = None  # how messages name it (default: "parameter NAME")
    recorded: bool = False  # the default is written into the spec when not given

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def metavar(self) -> str:
        """How the CLI shows it: ``L``, ``T``, ``shannon|grassberger``."""
        return "|".join(self.choices) if self.choices else self.name.upper()

    def normalize(self, value: Any) -> Any:
        return str(value).lower() if self.choices else value

    def problems(self, params: Mapping[str, Any]) -> list[str]:
        """Every problem with this parameter's value in ``params``."""
        v = params.get(self.name)
        if v is None:
            return [f"parameter {self.name} is required"] if self.required else []
        if self.choices:
            got = self.normalize(v)
            if got not in self.choices:
                return [
                    f"{self.label or self.name} must be one of {', '.join(self.choices)}, got {got!r}"
                ]
            return []
        return _number_problems(
            self.name, v, self.type is int, self.minimum, self.strict, self.maximum
        )


def _number_problems(
    key: str, v: Any, integer: bool, minimum: float | None, strict: bool, maximum: float | None
) -> list[str]:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return [f"parameter {key} must be a number, got {v!r}"]
    if f != f or f in (float("inf"), float("-inf")):
        return [f"parameter {key} must be finite, got {v!r}"]
    if integer and f != int(f):
        return [f"parameter {key} must be an integer, got {v!r}"]
    if minimum is not None and ((strict and f <= minimum) or (not strict and f < minimum)):
        return [f"parameter {key} must be {'>' if strict else '>='} {minimum:g}, got {v!r}"]
    if maximum is not None and f > maximum:
        return [f"parameter {key} must be <= {maximum:g}, got {v!r}"]
    return []


def positive_number(
    params: Mapping[str, Any],
    key: str,
    integer: bool = False,
    minimum: float = 0.0,
    strict: bool = True,
) -> list[str]:
    """Shared parameter check: present, numeric, above a minimum, integral when required."""
    return Param(key, int if integer else float, minimum=minimum, strict=strict).problems(params)
