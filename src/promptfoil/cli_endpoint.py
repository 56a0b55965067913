"""Command-line options for OpenAI-compatible endpoints, shared by the `openai` target and
the chat components (``llm`` infiller, ``judge-contradiction`` and ``maxims`` scorers).

With ``--base-url`` (or ``$OPENAI_BASE_URL`` when the target is ``openai``) every component
that can talk to an endpoint does: a user with nothing but a server can run a whole
explanation over it. The chat components use their own ``--*-model`` when given, else the
target's model name.
"""

from __future__ import annotations

import argparse
import inspect
import os
from typing import Any

from .chat import BACKEND_OPTIONS
from .infill.base import infillers
from .registry import Registry
from .scorers.base import scorers
from .targets.base import targets


def add_endpoint_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("OpenAI-compatible endpoint (target 'openai', infiller 'llm', judge scorers)")
    g.add_argument("--base-url", help="server URL, e.g. http://localhost:8000/v1 (default: $OPENAI_BASE_URL)")
    g.add_argument("--api-key-env", default=None, metavar="VAR", help="NAME of the environment variable holding the API key (default: OPENAI_API_KEY)")
    g.add_argument("--max-concurrency", type=int, default=None, metavar="N", help="requests in flight at once (default: 4)")
    g.add_argument("--rpm", type=float, default=None, help="most requests per minute (default: no limit)")
    g.add_argument("--token-budget", type=int, default=None, metavar="TOKENS", help="stop the search once the target has used this many tokens")
    g.add_argument("--completions", action="store_true", help="use the legacy completions API instead of chat for the target")


def _takes(registry: Registry[Any], name: str, option: str) -> bool:
    if name not in registry:
        return False
    factory = registry.entries()[registry.names().index(name)].factory
    if option in BACKEND_OPTIONS and getattr(factory, "uses_chat_backend", False):
        return True
    return option in inspect.signature(factory).parameters


def endpoint_options(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Extra (target, infiller, scorer) options from the endpoint flags; empty when unused."""
    shared = {
        k: v
        for k, v in (("api_key_env", args.api_key_env), ("max_concurrency", args.max_concurrency), ("rpm", args.rpm))
        if v is not None
    }
    t_opts: dict[str, Any] = {}
    if isinstance(args.target, str) and _takes(targets, args.target, "base_url"):
        t_opts = dict(shared)
        if args.base_url:
            t_opts["base_url"] = args.base_url
        if args.token_budget is not None:
            t_opts["token_budget"] = args.token_budget
        if args.completions:
            t_opts["completions"] = True
    base = args.base_url or (os.environ.get("OPENAI_BASE_URL") if args.target == "openai" else None)

    def chat_opts(registry: Registry[Any], name: object, own_model: str | None) -> dict[str, Any]:
        if not base or not isinstance(name, str) or not _takes(registry, name, "base_url"):
            return {}
        opts = dict(shared, base_url=base)
        if not own_model and args.target_model:
            opts["model"] = args.target_model
        return opts

    return (
        t_opts,
        chat_opts(infillers, args.infiller, args.infiller_model),
        chat_opts(scorers, args.scorer, args.scorer_model),
    )
