"""promptfoil: contrastive explanations for LLMs.

>>> import promptfoil
>>> ex = promptfoil.explain("Why are rich people able to avoid financial ruin?", budget=40)
>>> ex.found, ex.contrast_prompt
>>> chat = [{"role": "user", "content": "Is it better to buy or rent a bounce house?"}]
>>> ex = promptfoil.explain(chat, edit=["user:-1"], budget=20)
>>> ex.contrast_conversation, ex.edits  # each edit names its turn
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
from .types import Calls, Edit, Explanation, Reply, Results, Segment, TraceEntry, UnitEffect

__version__ = "0.1.0"


def load_results(path: str | Path, frame: bool = False) -> Results | Any:
    """The records of a results file (``run``, ``redteam``), the last one per id, as
    :class:`Results` (a sequence of dicts that shows the HTML report in Jupyter) or, with
    ``frame``, a pandas DataFrame (pandas is optional). Bad files raise a one-line PromptfoilError."""
    results = Results.read(path)
    return results.to_frame() if frame else results


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
    "Reply", "ResponseCache", "Results", "ScoreItem", "Scorer", "ScorerError", "Search", "Segment", "Target", "TargetError",
    "TraceEntry", "UnitEffect", "edit_distance", "explain",
    "infillers", "list_algorithms", "load_results", "list_infillers", "list_scorers", "list_targets",
    "scorers", "searches", "segment", "targets",
]
