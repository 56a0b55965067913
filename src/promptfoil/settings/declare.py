"""A setting declared once, on its dataclass field: ``field(metadata={"setting": ...})``.

From the declarations come the checks of the dataclass (:func:`check_fields`), its CLI
options (:func:`add_arguments` and :func:`from_args`) and what a results file records
(:func:`recorded`). Recording says whether a setting changes answers: ``"always"`` (recorded
in every results file and checked on resume), ``"changed"`` (recorded only when it differs
from its default, so files written before the setting existed still resume) or
``"plumbing"`` (how answers are fetched, never what they say: never recorded).
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .rules import Choice, Flag, Rule

Recorded = Literal["always", "changed", "plumbing"]


Cli = Literal["value", "toggle", "off", "switch", "append", "value+off"]


@dataclass(frozen=True)
class Setting:
    """One setting: its rule, help, CLI flag (None: Python API only), how it is recorded,
    and how the CLI takes it (``cli``: "value", "toggle" for ``--x/--no-x``, "off" for a
    ``--no-x`` switch of a setting on by default, "switch" for a ``--x`` switch of a setting
    off by default, "append" for a repeatable value, "value+off" for ``--x VALUE`` beside a
    ``--no-x`` switch (help ``off_help``) that sets it False). ``dest`` is the name the CLI
    stores it under and errors call it (default: the field's name), e.g. ``budget`` for
    ``Budget.calls``."""

    rule: Rule
    help: str
    flag: str | None = None
    recorded: Recorded = "always"
    metavar: str | None = None
    cli: Cli = "value"
    #: The names the CLI offers, read when the parser is built (a registry's current names).
    choices: Callable[[], Sequence[str]] | None = None
    dest: str | None = None
    off_help: str | None = None


def setting(default: Any, rule: Rule, help: str, *, flag: str | None = None, recorded: Recorded = "always",
            metavar: str | None = None, cli: Cli = "value", choices: Callable[[], Sequence[str]] | None = None,
            dest: str | None = None, off_help: str | None = None) -> Any:
    """A dataclass field holding ``default`` and its :class:`Setting` declaration."""
    return dataclasses.field(default=default, metadata={
        "setting": Setting(rule, help, flag, recorded, metavar, cli, choices, dest, off_help)})


def dest_of(f: dataclasses.Field[Any], s: Setting) -> str:
    """The name a declared field goes by on the CLI (``args.<dest>``) and in its errors."""
    return s.dest or f.name


def declared(cls: Any) -> Iterator[tuple[dataclasses.Field[Any], Setting]]:
    """Each field of the dataclass ``cls`` (or instance) that declares a setting, in order."""
    for f in dataclasses.fields(cls):
        s = f.metadata.get("setting")
        if isinstance(s, Setting):
            yield f, s


def fields_of(cls: Any) -> dict[str, Setting]:
    """The declared settings of ``cls`` by field name."""
    return {f.name: s for f, s in declared(cls)}


def check_fields(obj: Any) -> None:
    """Check every declared field of the (frozen) dataclass ``obj`` by its rule, storing the
    normalised value (e.g. ``3.0`` -> ``3`` for a whole number)."""
    for f, s in declared(obj):
        value = s.rule.check(dest_of(f, s), getattr(obj, f.name))
        object.__setattr__(obj, f.name, value)


def add_arguments(group: Any, cls: Any, names: Sequence[str] | None = None) -> None:
    """The CLI options of every declared field of ``cls`` that has a flag (only those in ``names``, if given)."""
    for f, s in declared(cls):
        if s.flag is None or (names is not None and f.name not in names):
            continue
        dest = dest_of(f, s)
        if s.cli == "off":
            group.add_argument(s.flag, dest=dest, action="store_false", help=s.help)
        elif s.cli == "switch":
            group.add_argument(s.flag, dest=dest, action="store_true", help=s.help)
        elif s.cli == "value+off":
            group.add_argument("--no-" + s.flag.lstrip("-"), dest="no_" + dest, action="store_true", help=s.off_help)
            group.add_argument(s.flag, dest=dest, type=s.rule.parse, default=None, metavar=s.metavar, help=s.help)
        elif s.cli == "append":
            group.add_argument(s.flag, dest=dest, action="append", type=s.rule.parse, default=f.default,
                               metavar=s.metavar, help=s.help)
        elif s.cli == "toggle" or isinstance(s.rule, Flag):
            group.add_argument(s.flag, dest=dest, action=argparse.BooleanOptionalAction, default=f.default,
                               help=s.help)
        elif s.choices is not None or isinstance(s.rule, Choice):
            choices = s.choices() if s.choices is not None else s.rule.names  # type: ignore[attr-defined]
            group.add_argument(s.flag, dest=dest, choices=list(choices), default=f.default,
                               metavar=s.metavar, help=s.help)
        else:
            group.add_argument(s.flag, dest=dest, type=s.rule.parse, default=f.default, metavar=s.metavar,
                               help=s.help)


def from_args(args: argparse.Namespace, cls: Any, names: Sequence[str] | None = None) -> dict[str, Any]:
    """The keyword arguments of ``cls`` that the CLI options of :func:`add_arguments` hold
    (only those in ``names``, if given). A "value+off" setting is False when its ``--no-x``
    switch is given, else its value, else its default."""
    out: dict[str, Any] = {}
    for f, s in declared(cls):
        dest = dest_of(f, s)
        if s.flag is None or (names is not None and f.name not in names) or not hasattr(args, dest):
            continue
        if s.cli == "value+off":
            out[f.name] = False if getattr(args, "no_" + dest, False) else (getattr(args, dest) or f.default)
        else:
            out[f.name] = getattr(args, dest)
    return out


def recorded(obj: Any, plain: Any = lambda v: v) -> dict[str, Any]:
    """The declared settings of ``obj`` a results file records (``plain`` makes a value JSON-safe)."""
    out: dict[str, Any] = {}
    for f, s in declared(obj):
        value = getattr(obj, f.name)
        if s.recorded == "always" or (s.recorded == "changed" and value != f.default):
            out[f.name] = plain(value)
    return out
