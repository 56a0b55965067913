"""The options every explaining command shares, and the one function that turns them into a
:class:`~promptfoil.config.Config` (from which the same Explainer is built everywhere)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from ..backends.openai import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from ..config import (
    DEFAULT_INFILLER,
    DEFAULT_SCORER,
    DEFAULT_TARGET,
    Component,
    Config,
    Endpoint,
    Search,
)
from ..runs.engines import ENGINES, Engine, make_engine
from ..codec.jsonl import loads
from ..settings.declare import add_arguments, fields_of, from_args
from ..errors import ConfigError, PromptfoilError
from ..infill.base import infillers
from ..scorers.base import scorers
from ..targets.base import targets
from ..targets.budget import Budget


def parse_option(value: str) -> tuple[str, object]:
    """KEY=VALUE; the value is read as JSON when it parses (numbers, true/false), else a string."""
    key, sep, raw = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    try:
        parsed: object = loads(raw, f"option {key}")
    except PromptfoilError:
        parsed = raw
    return key.replace("-", "_"), parsed


def parse_budget(value: str) -> int | None:
    """A whole number of calls, or 'none'/'unlimited': the declared parser of ``Budget.calls``."""
    return fields_of(Budget)["calls"].rule.parse(value)


def parse_give_up(value: str) -> tuple[float, ...] | str | None:
    """``SHARE:MARGIN[:STALL]`` (e.g. ``0.5:0.2``), 'scorer' or 'none' (the rule is off): the declared parser."""
    return fields_of(Search)["give_up"].rule.parse(value)


def parse_margin(value: str) -> float | None:
    """A non-negative number, or 'none' (the check is off): the declared rule of ``min_fluency``."""
    rule = fields_of(Search)["min_fluency"].rule
    return rule.check("min_fluency", rule.parse(value))


def _finite(value: str, above_zero: bool, what: str) -> float:
    """A finite number of at least 0 (or above 0); ``nan``, ``inf`` and the rest are refused here."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and (number > 0 if above_zero else number >= 0)):
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}")
    return number


def parse_resource(value: str) -> float:
    """A finite number of at least 0 (``nan``, ``inf`` and negatives are refused here, not by Ray)."""
    return _finite(value, False, "a finite number of at least 0")


def parse_parallel(value: str) -> int:
    """Items in flight: a whole number from 1 to the most the local engine takes."""
    from ..runs.engines.inflight import MAX_PARALLEL

    try:
        n = int(value)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_PARALLEL:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_PARALLEL}, got {value!r}")
    return n


def parse_seconds(value: str) -> float:
    """A finite number of seconds, more than 0."""
    return _finite(value, True, "a finite number of seconds above 0")


def component_name(kind: str, names: list[str]) -> Any:
    """An argparse type: a registered name or an import path ``package.module:Name``."""

    def check(value: str) -> str:
        if value in names or ":" in value:
            return value
        raise argparse.ArgumentTypeError(
            f"unknown {kind} '{value}'; valid: {', '.join(names)} (or package.module:Name)"
        )

    check.__name__ = kind
    return check


def add_endpoint_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "OpenAI-compatible endpoint (target 'openai', infiller 'llm', judge scorers)",
        f"Each request may take at most {DEFAULT_TIMEOUT:g} s in all (connect to last byte, however slowly "
        f"the server sends) and is tried again {DEFAULT_RETRIES} times (timeouts, 429, 5xx, unreadable "
        f"answers): a server that hangs costs about {(DEFAULT_RETRIES + 1) * DEFAULT_TIMEOUT:g} s per prompt. "
        "Change with --target-option timeout=SECONDS / retries=N. An answer larger than 64 KiB + 1 KiB per "
        "--max-tokens token is refused.",
    )
    add_arguments(g, Endpoint)  # every declared endpoint setting (promptfoil.config.Endpoint)


def add_component_options(
    p: argparse.ArgumentParser, infiller: bool = True, scorer_default: str | None = DEFAULT_SCORER,
    scorer_help: str | None = None,
) -> argparse._ArgumentGroup:
    """Target and scorer options (and the infiller's, unless ``infiller=False``)."""
    g = p.add_argument_group("components (see `promptfoil list`; a plugin's import path package.module:Name works too)")
    g.add_argument("--target", default=DEFAULT_TARGET, type=component_name("target", targets.names()), metavar="TARGET", help=f"the LLM to explain: {', '.join(targets.names())} (default: %(default)s)")
    g.add_argument("--target-model", help="model file or name for the target (e.g. a .gguf path for 'gguf')")
    add_arguments(g, Config, names=("max_tokens",))  # declared on promptfoil.config.Config
    if infiller:
        g.add_argument("--infiller", default=DEFAULT_INFILLER, type=component_name("infiller", infillers.names()), metavar="INFILLER", help=f"proposes replacements for masked words: {', '.join(infillers.names())} (default: %(default)s)")
        g.add_argument("--infiller-model", help="model for the infiller")
    g.add_argument("--scorer", default=scorer_default, type=component_name("scorer", scorers.names()), metavar="SCORER", help=scorer_help or f"how a new response differs from the original: {', '.join(scorers.names())} (default: %(default)s)")
    g.add_argument("--scorer-model", help="model for the scorer")
    g.add_argument("--target-option", type=parse_option, action="append", default=[], metavar="KEY=VALUE", help="extra setting for the target factory (repeatable), e.g. temperature=0.7")
    if infiller:
        g.add_argument("--infiller-option", type=parse_option, action="append", default=[], metavar="KEY=VALUE", help="extra setting for the infiller (repeatable)")
    g.add_argument("--scorer-option", type=parse_option, action="append", default=[], metavar="KEY=VALUE", help="extra setting for the scorer (repeatable)")
    return g


def add_cache_options(p: argparse.ArgumentParser) -> None:
    add_arguments(p.add_argument_group("cache"), Config, names=("cache",))  # --no-cache and --cache PATH, declared on Config


def add_explainer_options(p: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Component, search, budget and cache options shared by every explaining command.

    Returns the search group so a command can add its own search options to it.
    """
    add_component_options(p)
    add_endpoint_arguments(p)
    s = p.add_argument_group("search")
    add_arguments(s, Search)  # every declared search setting with a flag (promptfoil.config.Search)
    b = p.add_argument_group("budget (every limit is per explanation)")
    add_arguments(b, Budget)  # --budget, --token-budget, --time-budget (promptfoil.targets.budget.Budget)
    add_cache_options(p)
    return s


PARALLEL_HELP = (
    "keep up to N items in flight at once (threads in this process), so that a server that batches requests "
    "(vLLM, llama.cpp's server with several slots) or a --base-url fleet stays busy; the server then sees up to "
    "N x --max-concurrency requests. Records are those of a one-by-one run, written as items finish (not in "
    "input order). For a target served over HTTP (--target openai) or a plugin: an in-process target (smollm2, "
    "gguf, hf) answers one request at a time and is refused; in-process infillers, scorers and the fluency "
    "check serve one item at a time (default: 1)"
)


def add_parallel_option(p: Any) -> None:
    """``--parallel N``: items in flight in this process (``run``, ``experiment``, ``redteam``)."""
    p.add_argument("--parallel", type=parse_parallel, default=None, metavar="N", help=PARALLEL_HELP)


def add_engine_options(p: argparse.ArgumentParser) -> None:
    """Where the items are explained: this process, or Ray actors (``pip install 'promptfoil[ray]'``)."""
    g = p.add_argument_group("engine (where items are explained; the results file is written here either way)")
    g.add_argument("--engine", choices=ENGINES, default="local",
                   help="local: one item after another in this process; ray: Ray actors, each with its own "
                   "models (default: %(default)s)")
    add_parallel_option(g)
    g.add_argument("--address", default=None, metavar="ADDR",
                   help="Ray cluster to join ('auto': the one `ray start` runs here; default: start a local Ray)")
    g.add_argument("--workers", type=int, default=None, metavar="N",
                   help="Ray actors (default: as many as the cluster's free CPUs fit)")
    g.add_argument("--worker-cpus", type=parse_resource, default=None, metavar="CPUS",
                   help="CPUs Ray reserves per actor (default: 1; lower it for actors that only wait on servers)")
    g.add_argument("--worker-gpus", type=parse_resource, default=None, metavar="GPUS",
                   help="GPUs Ray reserves per actor, for components that run models on a GPU (default: 0)")
    g.add_argument("--ray-timeout", type=parse_seconds, default=None, metavar="SECONDS",
                   help="most seconds to start or join Ray, and then to wait until a first actor is placed on "
                   "a node (loading its models is not counted); past it the run stops with an error naming "
                   "the address or the resources asked and free (default: 120)")


def engine_from_args(args: argparse.Namespace, config: Config) -> Engine:
    """The :class:`~promptfoil.engines.Engine` the engine options describe, for ``config``."""
    keys = ("address", "workers", "worker_cpus", "worker_gpus", "ray_timeout")
    given = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    if args.engine == "local" and given:
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise ConfigError(f"{flags} only apply to --engine ray")
    if "ray_timeout" in given:
        given["timeout"] = given.pop("ray_timeout")
    return make_engine(args.engine, config, parallel=getattr(args, "parallel", None) or 1, **given)


def endpoint_from_args(args: argparse.Namespace) -> Endpoint:
    """The :class:`Endpoint` the endpoint options describe."""
    return Endpoint(**from_args(args, Endpoint))


def cache_from_args(args: argparse.Namespace) -> Any:
    """``Config.cache`` from the cache options: False, a path, or True (the default file)."""
    return from_args(args, Config, names=("cache",))["cache"]


def add_conversation_options(p: Any) -> None:
    """``--edit``: which turns of a conversation may change (also for ``run``)."""
    p.add_argument("--edit", action="append", default=None, metavar="SELECTOR",
                   help="turns of a conversation the search may edit (repeatable or comma-separated): "
                   "user:-1 (default), user:*, assistant:*, assistant:-1, user:0, or a message index")


def config_from_args(args: argparse.Namespace) -> Config:
    """The :class:`Config` the shared options describe."""
    return Config(
        target=Component(args.target, args.target_model, dict(args.target_option)),
        infiller=Component(args.infiller, args.infiller_model, dict(args.infiller_option)),
        scorer=Component(args.scorer, args.scorer_model, dict(args.scorer_option)),
        search=Search(**from_args(args, Search)),
        budget=Budget(**from_args(args, Budget)),
        endpoint=endpoint_from_args(args),
        **from_args(args, Config),  # max_tokens and cache
    )
