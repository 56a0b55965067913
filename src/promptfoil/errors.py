"""User-facing errors: the CLI prints their message without a traceback."""

from __future__ import annotations

import math
from typing import Any


class PromptfoilError(Exception):
    """A problem the user can fix (bad input, missing package, unreachable model)."""


class ConfigError(PromptfoilError, ValueError):
    """An invalid option or combination of options."""


class PromptTooLong(PromptfoilError):
    """A prompt does not fit the target's context: the search skips that candidate (and records
    why in the trace) instead of failing the explanation."""


class TargetError(PromptfoilError):
    """A batch of target calls failed for good; ``answered`` holds the replies that did arrive
    (prompt -> :class:`~promptfoil.types.Reply`; errors sit below the types and import none of them)."""

    def __init__(self, message: str, answered: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.answered: dict[str, Any] = dict(answered or {})


class MissingDependency(PromptfoilError, ImportError):
    """A model backend needs a package that is not installed; the message says which extra."""

    def __init__(self, what: str, package: str, extra: str, hint: str = "") -> None:
        msg = (
            f"{what} needs the package '{package}', which is not installed. "
            f"Install it with: pip install 'promptfoil[{extra}]'"
        )
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)
        self.what, self.package, self.extra, self.hint = what, package, extra, hint

    def __reduce__(self) -> tuple[type, tuple[str, str, str, str]]:
        """Pickled by its parts, so it survives the trip back from a worker process."""
        return type(self), (self.what, self.package, self.extra, self.hint)


def component_name(component: Any, kind: str) -> str:
    """How an error names a user's component: its ``name``, else its class."""
    return str(getattr(component, "name", None) or type(component).__name__ or kind)


def returned_list(value: Any, what: str) -> list[Any]:
    """A list from a list, tuple or array; strings, mappings and None are refused."""
    if value is None or isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
        raise PromptfoilError(f"{what} must return a list, got {type(value).__name__}")
    try:
        return list(value)
    except TypeError:
        raise PromptfoilError(f"{what} must return a list, got {type(value).__name__}") from None


def whole(name: str, value: object, least: int = 1, floats: bool = False) -> int:
    """``value`` as a whole number of at least ``least``, else a :class:`ConfigError` naming
    ``name``. With ``floats`` a whole float (``3.0``, as JSON or a YAML file may give) is
    accepted too; booleans, NaN and infinities never are."""
    ok = isinstance(value, int) or (floats and isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if isinstance(value, bool) or not ok or value < least:  # type: ignore[operator]
        raise ConfigError(f"{name} must be a whole number of at least {least} (got {value!r})")
    return int(value)  # type: ignore[arg-type]
