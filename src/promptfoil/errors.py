"""User-facing errors: the CLI prints their message without a traceback."""

from __future__ import annotations


class PromptfoilError(Exception):
    """A problem the user can fix (bad input, missing package, unreachable model)."""


class ConfigError(PromptfoilError, ValueError):
    """An invalid option or combination of options."""


class PromptTooLong(PromptfoilError):
    """A prompt does not fit the target's context: the search skips that candidate (and records
    why in the trace) instead of failing the explanation."""


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
