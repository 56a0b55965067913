"""Checks of a prompt and its protected spans before any model is asked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError


def check_text(prompt: str) -> None:
    """Refuse text that is not valid Unicode (lone surrogates, e.g. from undecodable bytes)."""
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ConfigError(
            f"prompt is not valid text: character {exc.start} is an unpaired surrogate "
            f"({prompt[exc.start]!r}), as left by bytes that are not UTF-8; give the prompt as UTF-8 text"
        ) from None


def span_list(protected: Any) -> list[tuple[int, int]]:
    """``protected`` as a list of pairs; anything that is not a collection of pairs is a clear error."""
    if protected is None:
        return []
    if isinstance(protected, (str, bytes)) or not isinstance(protected, Iterable):
        raise ConfigError(
            f"protected must be a list of (start, end) character spans, got {type(protected).__name__} ({protected!r})"
        )
    return list(protected)


def check_spans(prompt: str, spans: Iterable[Any]) -> None:
    """Each span is a pair of whole numbers with ``0 <= start <= end <= len(prompt)``;
    a reversed span is called reversed, not "outside the prompt"."""
    for span in spans:
        try:
            s, e = span
        except (TypeError, ValueError):
            raise ConfigError(f"protected span {span!r} is not a (start, end) pair") from None
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (s, e)):
            raise ConfigError(f"protected span {span!r} must hold whole character offsets")
        if s > e:
            raise ConfigError(f"protected span ({s}, {e}) is reversed: its start comes after its end (write {e}:{s})")
        if s < 0 or e > len(prompt):
            raise ConfigError(f"protected span ({s}, {e}) lies outside the prompt (0..{len(prompt)})")
