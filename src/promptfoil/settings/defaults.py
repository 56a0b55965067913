"""Defaults that components below the configuration need too, each written once here
(``config.py`` re-exports them): a target's factory and the chat request default to the
same response length as ``--max-tokens``."""

from __future__ import annotations

#: The target's response length in tokens (``--max-tokens``, ``Config.max_tokens``).
DEFAULT_MAX_TOKENS = 64

#: Target queries of perturbed prompts per explanation (``--budget``, ``Budget.calls``).
DEFAULT_BUDGET = 40
