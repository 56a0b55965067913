"""The value rules settings are declared with: one check per kind of value, shared by the
configuration, the CLI (which reads text) and component options (``--target-option k=v``),
so a value is refused the same way, with the same sentence, wherever it is given.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

#: Words that turn an optional setting off on the command line.
OFF_WORDS = ("none", "off")


class Rule:
    """What a setting's value must be. ``check`` returns the value (normalised) or raises a
    ConfigError naming the setting; ``parse`` reads it from command-line text (its type only:
    the check runs when the configuration is built, so a bad value is one error line)."""

    what = "a value"

    def check(self, name: str, value: Any) -> Any:
        raise NotImplementedError

    def parse(self, text: str) -> Any:
        return text

    def fail(self, name: str, value: Any) -> ConfigError:
        return ConfigError(f"{name} must be {self.what} (got {value!r})")


def _span(least: float | None, most: float | None, above: bool) -> str:
    if least is not None and most is not None:
        return f" in {'(' if above else '['}{least:g}, {most:g}]"
    if least is not None:
        return f" {'above' if above else 'of at least'} {least:g}"
    if most is not None:
        return f" of at most {most:g}"
    return ""


def _typed(what: str, off: tuple[str, ...]) -> str:
    """``what`` as the command line takes it: 'or none' only when a word there means None."""
    return what if off else what.removesuffix(" or none")


@dataclass(frozen=True)
class Whole(Rule):
    """A whole number (a whole float such as ``3.0`` too; never a bool, NaN or infinity)."""

    least: int | None = None
    most: int | None = None
    none: bool = False  # None is allowed (the setting is off)
    floats: bool = False  # a whole float (3.0, as JSON gives it) is taken too
    off: tuple[str, ...] = OFF_WORDS  # the command-line words that mean None (when ``none``)

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"a whole number{_span(self.least, self.most, False)}" + (" or none" if self.none else "")

    def check(self, name: str, value: Any) -> Any:
        if value is None and self.none:
            return None
        ok = isinstance(value, int) or (self.floats and isinstance(value, float) and math.isfinite(value)
                                        and value.is_integer())
        if isinstance(value, bool) or not ok or (self.least is not None and value < self.least) \
                or (self.most is not None and value > self.most):
            raise self.fail(name, value)
        return int(value)

    def parse(self, text: str) -> Any:
        if self.none and text.lower() in self.off:
            return None
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {_typed(self.what, self.off)}, got {text!r}") from None


@dataclass(frozen=True)
class Number(Rule):
    """A finite number (int or float; never a bool, NaN or infinity) within a range."""

    least: float | None = None
    most: float | None = None
    above: bool = False  # the least value itself is not allowed
    none: bool = False
    off: tuple[str, ...] = OFF_WORDS  # the command-line words that mean None (when ``none``)

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"a finite number{_span(self.least, self.most, self.above)}" + (" or none" if self.none else "")

    def check(self, name: str, value: Any) -> Any:
        if value is None and self.none:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(name, value)
        if self.least is not None and (value <= self.least if self.above else value < self.least):
            raise self.fail(name, value)
        if self.most is not None and value > self.most:
            raise self.fail(name, value)
        return value

    def parse(self, text: str) -> Any:
        if self.none and text.lower() in self.off:
            return None
        try:
            return float(text)  # the range is checked with the rest of the configuration: one line, exit 2
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {_typed(self.what, self.off)}, got {text!r}") from None


@dataclass(frozen=True)
class Flag(Rule):
    """True or false."""

    what = "true or false"

    def check(self, name: str, value: Any) -> Any:
        if not isinstance(value, bool):
            raise self.fail(name, value)
        return value


@dataclass(frozen=True)
class Choice(Rule):
    """One of a few names (None too when ``none``)."""

    names: Sequence[str] = ()
    none: bool = False

    @property
    def what(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(self.names) + (" or none" if self.none else "")

    def check(self, name: str, value: Any) -> Any:
        if (value is None and self.none) or (isinstance(value, str) and value in self.names):
            return value
        raise self.fail(name, value)


@dataclass(frozen=True)
class Custom(Rule):
    """A rule with its own check (``check(value) -> value``, raising ConfigError) and parser."""

    checker: Callable[[Any], Any] = lambda v: v
    parser: Callable[[str], Any] | None = None
    text: str = "a value"

    @property
    def what(self) -> str:  # type: ignore[override]
        return self.text

    def check(self, name: str, value: Any) -> Any:
        return self.checker(value)

    def parse(self, text: str) -> Any:
        return self.parser(text) if self.parser is not None else text
