"""Factories the CLI can load by import path (``quality_standins:recording_target``) in the
tests of issue 10: plumbing only, no claim about a model."""

from __future__ import annotations

from standins import RecordingFunction

from promptfoil import FunctionTarget


def recording_target() -> FunctionTarget:
    return FunctionTarget(RecordingFunction(), name="recording")
