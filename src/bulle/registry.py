"""The one registry type every extension kind uses: privacy models, metrics, recognizers, operators,
lineage recomputers, audit event kinds.

A registry maps a name to a factory (a class or a function). Built-ins register exactly as a
plug-in does, through :meth:`Registry.register`, when their module is imported; third-party
plug-ins are found through the Python entry points of the group ``bulle.<kind>`` (e.g.
``[bulle.operators] upper = myplugin:Upper`` in a distribution's ``entry_points.txt``). Both are
loaded once, lazily, on the first lookup, so importing a registry costs nothing and
``bulle --help`` never imports an extension.

Two rules keep a registry trustworthy:

* A name is registered once. A second registration under the same name (a plug-in shadowing a
  built-in, two plug-ins choosing the same name) is refused with both origins named: a plug-in
  can never silently replace Bulle's own recognizer or operator.
* A plug-in that fails to load stops every use of its registry with a :class:`PluginError` naming
  the entry point and the cause. Skipping it would be worse than stopping: a recognizer the
  custodian installed and believes active would silently leave personal data in the text.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Generic, TypeVar

from bulle.errors import NotFoundError, PluginError

T = TypeVar("T")

GROUP_PREFIX = "bulle."


class Registry(Generic[T]):
    """Name → factory for one extension kind, with built-in modules and entry-point plug-ins."""

    def __init__(self, kind: str, what: str, builtins: tuple[str, ...] = ()):
        """``kind`` names the entry-point group (``bulle.<kind>``); ``what`` is the singular noun
        used in messages ("privacy model"); ``builtins`` are the modules that register Bulle's own
        extensions when imported."""
        self.kind = kind
        self.what = what
        self.group = GROUP_PREFIX + kind
        self.builtins = tuple(builtins)
        self._items: dict[str, T] = {}
        self._origins: dict[str, str] = {}
        self._loaded = False
        self._loading = False
        self._origin_override: str | None = None
        self._lock = threading.RLock()

    # -- registering -----------------------------------------------------------------------------
    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated class or function under ``name``."""

        def deco(obj: T) -> T:
            self.add(name, obj)
            return obj

        return deco

    def add(self, name: str, obj: T, origin: str | None = None) -> None:
        """Register ``obj`` under ``name``; the same object twice is a no-op, another one an error."""
        if not isinstance(name, str) or not name:
            raise PluginError(
                f"{self.what} names must be non-empty strings, got {name!r} "
                f"from {origin or _origin_of(obj)}"
            )
        with self._lock:
            origin = origin or self._origin_override or _origin_of(obj)
            present = self._items.get(name)
            if present is not None:
                if present is obj:
                    return
                raise PluginError(
                    f"{self.what} {name!r} is registered twice: by "
                    f"{self._origins[name]} and by {origin}"
                )
            self._items[name] = obj
            self._origins[name] = origin

    # -- loading ---------------------------------------------------------------------------------
    def load(self) -> None:
        """Import the built-in modules, then every plug-in of the entry-point group, once."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded or self._loading:
                return
            self._loading = True
            try:
                for module in self.builtins:
                    importlib.import_module(module)
                self._order_builtins()
                for ep in sorted(entry_points(self.group), key=lambda e: e.name):
                    self._load_entry_point(ep)
                self._loaded = True
            finally:
                self._loading = False

    def _order_builtins(self) -> None:
        """Built-ins in the order their modules are declared, whatever order imports ran in."""
        rank = {m: i for i, m in enumerate(self.builtins)}
        names = sorted(
            self._items,
            key=lambda n: rank.get(getattr(self._items[n], "__module__", ""), len(rank)),
        )
        self._items = {n: self._items[n] for n in names}

    def _load_entry_point(self, ep: metadata.EntryPoint) -> None:
        dist = getattr(ep, "dist", None)
        who = f"plug-in {dist.name!r}" if dist is not None and dist.name else "a plug-in"
        origin = f"{who} (entry point {self.group}: {ep.name} = {ep.value})"
        self._origin_override = origin
        try:
            try:
                obj = ep.load()
            except Exception as exc:  # any failure of third-party code: report it, never hide it
                raise PluginError(f"{origin} failed to load: {type(exc).__name__}: {exc}") from None
            if ep.attr is None:
                # The entry point names a module: importing it must have registered the name.
                if ep.name not in self._items:
                    raise PluginError(f"{origin} registered no {self.what} named {ep.name!r}")
                return
            self.add(ep.name, obj, origin)
        finally:
            self._origin_override = None

    # -- reading ---------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Every registered name, built-ins first (in their declared order), then plug-ins."""
        self.load()
        return list(self._items)

    def get(self, name: str) -> T:
        """The factory registered under ``name``; an unknown name lists the known ones."""
        self.load()
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise NotFoundError(
                f"unknown {self.what} {name!r}; known: {', '.join(self._items) or 'none'}"
            ) from None

    def find(self, name: str) -> T | None:
        """The factory under ``name``, or None (for callers where absence is a normal case)."""
        self.load()
        return self._items.get(name)

    def origin(self, name: str) -> str:
        """Where ``name`` was registered from (a module, or a plug-in's entry point)."""
        self.get(name)
        return self._origins[name]

    def __contains__(self, name: object) -> bool:
        self.load()
        return name in self._items

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def items(self) -> list[tuple[str, T]]:
        """``(name, extension)`` pairs in registration order, as a mapping gives them."""
        return [(name, self.get(name)) for name in self.names()]

    def __repr__(self) -> str:
        return f"Registry({self.group!r}, {len(self._items)} registered)"


def entry_points(group: str) -> list[metadata.EntryPoint]:
    """The entry points of ``group`` on the current ``sys.path``.

    Every installed distribution's metadata is read once per ``sys.path`` (about 10 ms on a
    typical environment), not once per extension kind: a command that uses several registries
    pays it once.
    """
    return list(_installed(tuple(sys.path)).select(group=group))


@functools.lru_cache(maxsize=4)
def _installed(path: tuple[str, ...]) -> metadata.EntryPoints:
    return metadata.entry_points()


def _origin_of(obj: object) -> str:
    module = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or type(obj).__name__
    return f"{module}.{qual}" if module else qual
