"""promptfoil: contrastive explanations for LLMs.

>>> import promptfoil
>>> ex = promptfoil.explain("Why are rich people able to avoid financial ruin?", budget=40)
>>> ex.found, ex.contrast_prompt
>>> chat = [{"role": "user", "content": "Is it better to buy or rent a bounce house?"}]
>>> ex = promptfoil.explain(chat, edit=["user:-1"], budget=20)
>>> ex.contrast_conversation, ex.edits  # each edit names its turn
"""

from __future__ import annotations

from .config import Component, Config, Endpoint, Search
from .prompt.conversation import Conversation
from .errors import ConfigError, MissingDependency, PromptfoilError
from .explainer import Explainer, edit_distance, explain
from .infill.base import Infiller, InfillRequest, infillers
from .scorers.base import JudgeCheckError, ScoreItem, Scorer, ScorerError, scorers
from .search import searches
from .prompt.segment import segment
from .targets.base import BaseTarget, Target, TargetError, targets
from .targets.budget import Budget
from .targets.cache import ResponseCache
from .targets.function import FunctionTarget
from .types import Calls, Edit, Explanation, Reply, Segment, TraceEntry

__version__ = "0.1.0"


def list_targets() -> list[str]:
    return targets.names()


def list_infillers() -> list[str]:
    return infillers.names()


def list_scorers() -> list[str]:
    return scorers.names()


def list_algorithms() -> list[str]:
    return searches.names()


__all__ = [
    "BaseTarget", "Budget", "Calls", "Component", "Config", "ConfigError", "Conversation", "Edit", "Endpoint", "Explainer",
    "Explanation", "FunctionTarget", "Infiller", "InfillRequest", "JudgeCheckError", "MissingDependency", "PromptfoilError",
    "Reply", "ResponseCache", "ScoreItem", "Scorer", "ScorerError", "Search", "Segment", "Target", "TargetError",
    "TraceEntry", "edit_distance", "explain",
    "infillers", "list_algorithms", "list_infillers", "list_scorers", "list_targets",
    "scorers", "searches", "segment", "targets",
]
