"""One typed registry per component kind; it feeds both the Python API and the CLI.

A component is named three ways: a built-in name (``"smollm2"``), a name that a
third-party package registers through a Python entry point in the group
``promptfoil.<kind>s`` (e.g. ``promptfoil.scorers``), or an import path
``package.module:Name`` of a factory or class. Options are checked against the factory's
signature before it is called, and an unknown option names the valid ones.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A factory, a one-line summary, and the options it takes beyond its named parameters
    (``extra_options``: e.g. the endpoint settings a chat-backed component passes on)."""

    name: str
    factory: Callable[..., T]
    summary: str
    extra_options: tuple[str, ...] = ()
    source: str = "built-in"
    #: What the kind's registry says about this entry before it is built (a target's
    #: capabilities): given at registration, else the factory's own ``capabilities`` attribute.
    traits: Any = None

    def options(self) -> tuple[str, ...] | None:
        """Every option the factory takes; ``None`` when it takes any keyword (unchecked)."""
        try:
            params = inspect.signature(self.factory).parameters.values()
        except (TypeError, ValueError):
            return None
        named = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        takes_any = any(p.kind == p.VAR_KEYWORD for p in params)
        if takes_any and not self.extra_options:
            return None
        return tuple(dict.fromkeys([*named, *self.extra_options]))

    def takes(self, option: str) -> bool:
        opts = self.options()
        return opts is None or option in opts

    def check(self, kwargs: dict[str, Any]) -> None:
        opts = self.options()
        if opts is None:
            return
        unknown = sorted(set(kwargs) - set(opts))
        if unknown:
            valid = ", ".join(o for o in opts if o != "model") or "none"
            raise ConfigError(f"{self.source_kind} '{self.name}' has no option '{unknown[0]}'; valid options: {valid}")

    source_kind: str = field(default="component", repr=False)


class Registry(Generic[T]):
    """Maps names such as ``"smollm2"`` to factories; unknown names list the valid ones."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._plugins_loaded = False

    @property
    def group(self) -> str:
        """The entry-point group third-party packages register in, e.g. ``promptfoil.scorers``."""
        return f"promptfoil.{self.kind}s"

    def register(
        self, name: str, summary: str, options: Iterable[str] = (), traits: Any = None,
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' registered twice")
            self._entries[name] = Entry(name, factory, summary, tuple(options), source_kind=self.kind,
                                        traits=traits if traits is not None else getattr(factory, "capabilities", None))
            return factory

        return deco

    def _load_plugins(self) -> None:
        """Entries of installed packages' entry points (read once; built-ins win a clash)."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        try:
            eps = metadata.entry_points(group=self.group)
        except Exception:  # noqa: BLE001 - a broken distribution must not break promptfoil
            return
        for ep in eps:
            if ep.name in self._entries:
                continue
            self._entries[ep.name] = Entry(
                ep.name, _lazy(ep), _summary_of(ep), source=ep.value, source_kind=self.kind
            )

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._entries)

    def entries(self) -> list[Entry[T]]:
        return [self._entries[n] for n in self.names()]

    def entry(self, name: str) -> Entry[T]:
        """The entry for a registered name or an import path ``package.module:Name``."""
        self._load_plugins()
        if name in self._entries:
            return self._entries[name]
        if ":" in name:
            return Entry(name, import_object(name, self.kind), "imported", source=name, source_kind=self.kind)
        raise ConfigError(
            f"unknown {self.kind} '{name}'; valid {self.kind}s: {', '.join(self.names())} "
            f"(or an import path package.module:Name)"
        )

    def traits(self, name: str) -> Any:
        """The traits of ``name``'s entry (None: unknown name, or none declared); an import
        path ``package.module:Name`` is looked up, and its object's ``capabilities`` read."""
        try:
            entry = self.entry(name)
        except ConfigError:
            return None
        return entry.traits if entry.traits is not None else getattr(entry.factory, "capabilities", None)

    def takes(self, name: str, option: str) -> bool:
        """Does the factory of ``name`` take ``option``? False for unknown names."""
        try:
            return self.entry(name).takes(option)
        except ConfigError:
            return False

    def create(self, name: str, **kwargs: Any) -> T:
        entry = self.entry(name)
        entry.check(kwargs)
        return entry.factory(**kwargs)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._entries


def import_object(path: str, kind: str = "component") -> Any:
    """``package.module:Name`` -> the object, with a clear error when it cannot be had."""
    module, _, attr = path.partition(":")
    if not module or not attr:
        raise ConfigError(f"{kind} import path must look like package.module:Name (got {path!r})")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"cannot import {kind} module '{module}': {exc}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"module '{module}' has no {kind} '{attr}'") from None
    if not callable(obj):
        raise ConfigError(f"{kind} '{path}' is not a class or factory")
    return obj


def _lazy(ep: Any) -> Callable[..., Any]:
    def factory(**kwargs: Any) -> Any:
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001
            raise ConfigError(f"plugin '{ep.name}' ({ep.value}) failed to load: {exc}") from None
        return obj(**kwargs)

    return factory


def _summary_of(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) if dist is not None else None
    return f"plugin from {name or ep.value}"


#: How results draw themselves in a notebook: ``Explanation._repr_html_`` and
#: ``Results._repr_html_`` (the lowest layer) ask this registry for the view ``explanation`` /
#: ``results``, which return HTML. promptfoil's own entry points (``pyproject.toml``, group
#: ``promptfoil.views``) name :mod:`promptfoil.report.notebook`, loaded on first use, so the
#: result types never import the report; a package may register views of its own the same way.
views: Registry[str] = Registry("view")
