"""One typed configuration with one default per setting.

The CLI, the Python API and the job commands all describe an explanation with a
:class:`Config` and build the same :class:`~promptfoil.explainer.Explainer` from it.
Nothing here loads a model; :mod:`promptfoil.build` turns a config into components.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .search import searches
from .search.cell_budget import SCORER, UNIT_ORDERS, check_give_up
from .search.priority import PRIORITIZERS
from .settings.declare import Recorded, check_fields, declared, dest_of, setting
from .settings.defaults import DEFAULT_BUDGET, DEFAULT_MAX_TOKENS
from .settings.rules import OFF_WORDS, Choice, Custom, Flag, Number, Rule, Whole
from .targets.budget import Budget
from .types import DIRECTIONS, Direction

DEFAULT_TARGET = "smollm2"
DEFAULT_INFILLER = "lm"
DEFAULT_SCORER = "auto"  # verdict for yes/no questions when a verdict judge is installed, else semantic
DEFAULT_ALGORITHM = "cell-budget"
DEFAULT_SPLIT_K = 1
#: Fluency margin (nats per token below the original prompt's mean log-likelihood), chosen
#: on a labelled set of candidates (benchmarks/results/fluency_cut.md).
DEFAULT_MIN_FLUENCY = 0.55


def _urls(value: object) -> object:
    """One URL, or several (a fleet; one in a list is that one); None: the default."""
    if isinstance(value, (list, tuple)):
        urls = tuple(value)
        if not urls or not all(isinstance(u, str) and u for u in urls):
            raise ConfigError(f"base_url must be a URL or a list of URLs (got {value!r})")
        return urls[0] if len(urls) == 1 else urls
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"base_url must be a URL or a list of URLs (got {type(value).__name__})")
    return value


def _text_or_none(value: object) -> object:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"api_key_env must be the NAME of an environment variable (got {type(value).__name__})")
    return value


def _order(value: object) -> object:
    """A prioritizer's name, or a ready prioritizer object (checked when it is built)."""
    if isinstance(value, str) and value not in PRIORITIZERS:
        raise ConfigError(f"unknown query order '{value}'; valid: {', '.join(PRIORITIZERS)}")
    return value


def _cache(value: object) -> object:
    """True (the default file), False/None (off), a path, or a ready ResponseCache."""
    if not (isinstance(value, (bool, str, Path)) or value is None or hasattr(value, "get_many")):
        raise ConfigError(f"cache must be True, False, a file path or a ResponseCache (got {type(value).__name__})")
    return value


def _name(value: object) -> object:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"algorithm must be a name, got {type(value).__name__}")
    return value


#: Options any component may take (``--target-option``, ``--infiller-option``,
#: ``--scorer-option``), each declared once: its rule, checked before any component is built
#: or asked, and whether it is plumbing (how answers are fetched, never what they say: a
#: resume may change it, and results do not record it). An option not listed here is the
#: component's own and is checked by it.
COMPONENT_OPTIONS: dict[str, tuple[Rule, Recorded]] = {
    "temperature": (Number(0.0), "always"),
    "max_tokens": (Whole(1, floats=True), "always"),
    "max_new_tokens": (Whole(1, floats=True, none=True), "always"),
    "seed": (Whole(none=True, floats=True), "always"),
    "top_p": (Number(0.0, 1.0, above=True), "always"),
    "top_k": (Whole(0, floats=True), "always"),
    "w1": (Number(0.0), "always"),
    "w2": (Number(0.0), "always"),
    "timeout": (Number(0.0, above=True), "plumbing"),
    "retries": (Whole(0, floats=True), "plumbing"),
    "max_concurrency": (Whole(1, floats=True), "plumbing"),
    "batch_size": (Whole(1, floats=True), "plumbing"),
    "rpm": (Number(0.0, above=True, none=True), "plumbing"),
    "lanes": (Whole(1, floats=True), "plumbing"),
    "delay": (Number(0.0), "plumbing"),
    "api_key_env": (Custom(_text_or_none, text="a variable name"), "plumbing"),
}
#: Component options that change how answers are fetched, never what they say: a resume may change them.
PLUMBING_OPTIONS = frozenset(k for k, (_, rec) in COMPONENT_OPTIONS.items() if rec == "plumbing")


def check_component_options(kind: str, options: Mapping[str, Any]) -> None:
    """Each option of ``COMPONENT_OPTIONS`` by its rule: a ConfigError naming the option
    (``--infiller-option temperature``) for NaN, infinities, negatives, text for a number."""
    for key, value in options.items():
        if key in COMPONENT_OPTIONS:
            COMPONENT_OPTIONS[key][0].check(f"--{kind}-option {key}", value)


@dataclass(frozen=True)
class Component:
    """A component by registry name (or ``package.module:Name``, or a ready object), the
    model it loads, and the options its factory takes."""

    name: Any
    model: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.options, Mapping):
            raise ConfigError(f"component options must be a dict of settings (got {type(self.options).__name__})")
        if isinstance(self.model, Path):
            object.__setattr__(self, "model", str(self.model))
        if self.model is not None and not isinstance(self.model, str):
            raise ConfigError(f"a component's model must be a name or a path (got {type(self.model).__name__})")

    @property
    def label(self) -> str:
        return self.name if isinstance(self.name, str) else getattr(self.name, "name", type(self.name).__name__)


@dataclass(frozen=True)
class Endpoint:
    """An OpenAI-compatible server shared by every component that can talk to one: the
    ``openai`` target, the ``llm`` infiller and the judge scorers. ``base_url`` None: the
    ``openai`` target falls back to ``$OPENAI_BASE_URL`` and the other components run locally.
    Several URLs (a tuple) are a fleet of servers of one model; ``max_concurrency`` and ``rpm``
    then hold per server."""

    #: Which server answers changes the answers: recorded (when given) and checked on resume.
    base_url: str | tuple[str, ...] | None = setting(
        None, Custom(_urls, text="a URL or a list of URLs"),
        "server URL, e.g. http://localhost:8000/v1 (default: $OPENAI_BASE_URL); repeat it for a fleet of servers "
        "of the same model: each request goes to the least busy one, a failing server's requests are retried on "
        "another", flag="--base-url", cli="append", metavar="URL", recorded="changed")
    api_key_env: str | None = setting(
        None, Custom(_text_or_none, text="a variable name"),
        "NAME of the environment variable holding the API key (default: OPENAI_API_KEY)",
        flag="--api-key-env", metavar="VAR", recorded="plumbing")
    max_concurrency: int | None = setting(None, Whole(1, none=True), "requests in flight at once, per server (default: 4)",
                                          flag="--max-concurrency", metavar="N", recorded="plumbing")
    rpm: float | None = setting(None, Number(0.0, above=True, none=True),
                                "most requests per minute, per server (default: no limit)", flag="--rpm",
                                recorded="plumbing")
    completions: bool = setting(False, Flag(), "use the legacy completions API instead of chat for the target",
                                flag="--completions", cli="switch", recorded="changed")

    def __post_init__(self) -> None:
        check_fields(self)

    def shared(self) -> dict[str, Any]:
        """Settings passed to each endpoint-capable component (those that were given)."""
        return {k: v for k, v in (("api_key_env", self.api_key_env), ("max_concurrency", self.max_concurrency),
                                  ("rpm", self.rpm)) if v is not None}


def _give_up(text: str) -> tuple[float, ...] | str | None:
    """``SHARE:MARGIN[:STALL]`` (e.g. ``0.5:0.2``), 'scorer' (the scorer's own rule) or 'none'
    (the rule is off), from the command line."""
    if text.lower() in OFF_WORDS:
        return None
    if text.lower() == SCORER:
        return SCORER
    try:
        return check_give_up(tuple(float(x) for x in text.split(":")))
    except (ValueError, ConfigError):
        raise argparse.ArgumentTypeError(
            f"expected SHARE:MARGIN[:STALL] (shares of the budget in (0, 1], margin >= 0), 'scorer' or 'none', got {text!r}") from None


@dataclass(frozen=True)
class Search:
    """How the search walks: algorithm, unit size, goal (threshold, direction) and seed, and
    what is done with a contrast once found (minimise, confirm, look for more).

    Each field is a setting declared once (:mod:`promptfoil.settings`): its rule, CLI flag,
    help and whether results record it. A new search option is one declaration here plus
    the search module that reads it (``Explainer`` hands every field to the search context).
    """

    algorithm: str = setting(DEFAULT_ALGORITHM, Custom(_name, text="a search name"), "search algorithm (default: %(default)s)",
                             flag="--algorithm", choices=searches.names)
    split_k: int = setting(DEFAULT_SPLIT_K, Whole(1), "words per editable unit (default: %(default)s)", flag="--split-k")
    threshold: float | None = setting(None, Number(none=True), "score a contrast must reach (default: the scorer's measured default for the direction)", flag="--threshold")
    direction: Direction | None = setting(None, Choice(DIRECTIONS, none=True), "which way is contrastive (default: the scorer's); another direction than the scorer's needs --threshold", flag="--direction")
    seed: int = setting(0, Whole(), "drives every random choice (default: %(default)s)", flag="--seed")
    fills_per_mask: int = setting(6, Whole(1), "fills the infiller proposes per masked unit")
    alpha: float = setting(0.5, Number(0.0, 1.0), "CELL-budget's share of the budget spent on the first round")
    max_iters: int = setting(100, Whole(1), "most rounds of CELL")
    order: Any = setting("none", Custom(_order, text="one of " + ", ".join(PRIORITIZERS)), choices=lambda: PRIORITIZERS, help="which candidates of a batch to query first: 'prompt-shift' asks first those whose prompt moved furthest in meaning (MiniLM), which saves calls (default: %(default)s)", flag="--order")
    unit_order: str = setting("content-first", Choice(UNIT_ORDERS), "the order cell-budget's seeds take the prompt's units in: 'content-first' draws them at random (by --seed) but leaves units made only of English function words (the, to, my, is, ...) for last; 'stance-first' then moves units holding a modal, a question-opening auxiliary or a negation (should, can, is, do, not) to the front; 'random' is the paper's uniform draw (default: %(default)s)", flag="--unit-order")
    prefetch: bool = setting(True, Flag(), "infill the next target batch while the target answers this one", recorded="plumbing")
    reuse_fills: bool = setting(False, Flag(), "fill each unit once, in the original prompt's context, and reuse those fills when the unit is edited on top of other edits (the fluency check still judges each combination): fewer infiller calls (default: %(default)s)", flag="--reuse-fills", recorded="changed")
    give_up: tuple[float, ...] | str | None = setting(SCORER, Custom(check_give_up, _give_up, "(share in (0, 1], margin >= 0[, stall in (0, 1]]), 'scorer' or none"), "cell-budget: once SHARE of the budget is spent, go on only while some candidate came within MARGIN of the threshold (and, with STALL, while the best score rose over the last STALL of the budget); a prompt with nothing near costs SHARE of the budget, not all of it (default: %(default)s, the scorer's own rule: the verdict definition declares one, the others none)", flag="--give-up", recorded="changed", metavar="SHARE:MARGIN[:STALL]|scorer|none")
    meaning_weight: float = setting(0.0, Number(0.0), "rank candidates by score minus W x how far the prompt moved in meaning (1 - MiniLM cosine), so that, of edits that move the answer alike, the one that keeps the question wins (default: %(default)s, off)", flag="--meaning-weight", recorded="changed", metavar="W")
    min_fluency: float | None = setting(DEFAULT_MIN_FLUENCY, Number(0.0, none=True), "skip, before querying, a candidate whose mean token log-likelihood (embedded SmolLM2, or the lm infiller's model) is more than MARGIN below the original prompt's: broken English never reaches the target (default: %(default)s; 'none' turns it off)", flag="--min-fluency", metavar="MARGIN|none")
    min_prompt_similarity: float | None = setting(None, Number(-1.0, 1.0, none=True), "keep only candidates whose prompt stays within cosine similarity TAU of the original (MiniLM): the same question asked slightly differently, not a different question (default: off)", flag="--min-prompt-similarity", metavar="TAU")
    min_edit_similarity: float | None = setting(None, Number(-1.0, 1.0, none=True), "keep only candidates whose every replaced word (run of words) stays within cosine similarity TAU of the word it replaced (MiniLM): no key word swapped for an unrelated one (default: off)", flag="--min-edit-similarity", metavar="TAU")
    keep_key_words: bool = setting(False, Flag(), "never edit a yes/no question's key words, the judgement and the act it asks about ('Is it *wrong* to *lie* ...', 'Should I *quit* ...'): edits go to the details (who, how much, when, the modal verb), so a contrast asks the same question (default: off)", flag="--keep-key-words", recorded="changed")
    # Plumbing: a red-team retry of the questions whose judge failed its check may trust it.
    judge_check: bool = setting(True, Flag(), "trust an LLM judge scorer without its self-check on the original response", flag="--no-judge-check", cli="off", recorded="plumbing")
    minimize: bool = setting(True, Flag(), "after a contrast is found, undo the edits it does not need (one at a time, then smaller subsets), paid from the same budget (default: on)", flag="--minimize")
    confirm: int = setting(0, Whole(0), "for a stochastic target (temperature > 0): re-ask the original and each contrast K times; found only when the contrast holds in a majority of re-samples and beyond the noise band; costs nothing with a greedy target (default: off)", flag="--confirm", metavar="K")
    contrasts: int = setting(1, Whole(1), "return up to N contrasts that edit disjoint units, ranked by edits then score (default: %(default)s)", flag="--contrasts", metavar="N")
    log_base: float = setting(2.0, Number(1.0, above=True), "cell-budget: base of the logarithm in q = floor(B / log B), the candidates asked per outer round; a larger base asks more per round and runs fewer rounds (default: %(default)s)", flag="--log-base", recorded="changed", metavar="BASE")

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True)
class Config:
    """Everything that defines an explanation; every field has its one default here."""

    target: Component = field(default_factory=lambda: Component(DEFAULT_TARGET))
    infiller: Component = field(default_factory=lambda: Component(DEFAULT_INFILLER))
    scorer: Component = field(default_factory=lambda: Component(DEFAULT_SCORER))
    search: Search = field(default_factory=Search)
    budget: Budget = field(default_factory=lambda: Budget(calls=DEFAULT_BUDGET))
    #: The target's response length (when it takes one): changes answers, so results record it.
    max_tokens: int | None = setting(DEFAULT_MAX_TOKENS, Whole(1, none=True, off=()),
                                     "response length of the target (default: %(default)s)", flag="--max-tokens")
    endpoint: Endpoint = field(default_factory=Endpoint)
    #: Where answers are kept between runs: plumbing (never what they say), so never recorded.
    cache: Any = setting(True, Custom(_cache, text="True, False, a file path or a ResponseCache"),
                         "response cache file (default: $PROMPTFOIL_CACHE_DIR or ~/.cache/promptfoil)",
                         flag="--cache", cli="value+off", metavar="PATH", recorded="plumbing",
                         off_help="do not read or write the response cache")

    def __post_init__(self) -> None:
        check_fields(self)  # max_tokens and cache, by their declarations
        for kind in ("target", "infiller", "scorer"):
            check_component_options(kind, getattr(self, kind).options)

    def with_options(self, **flat: Any) -> Config:
        """A copy with flat keyword settings applied (the API's ``explain(prompt, budget=20, ...)``).

        Keys: ``target``/``infiller``/``scorer`` (name or object), ``*_model``, ``*_options``,
        every field of :class:`Search` and :class:`Endpoint`, ``budget`` (calls),
        ``token_budget``, ``time_budget``, ``max_tokens`` and ``cache``.
        """
        unknown = sorted(set(flat) - set(FLAT_KEYS))
        if unknown:
            raise ConfigError(f"unknown option '{unknown[0]}'; valid options: {', '.join(sorted(FLAT_KEYS))}")
        cfg = self
        for kind in ("target", "infiller", "scorer"):
            cur: Component = getattr(cfg, kind)
            keys = (kind, f"{kind}_model", f"{kind}_options")
            if not any(k in flat for k in keys):
                continue
            name = flat.get(kind, cur.name)
            same = name is cur.name or (isinstance(name, str) and name == cur.name)
            model = flat[f"{kind}_model"] if f"{kind}_model" in flat else (cur.model if same else None)
            options = flat[f"{kind}_options"] if f"{kind}_options" in flat else (cur.options if same else {})
            if options is None:
                options = {}
            cfg = replace(cfg, **{kind: Component(name, model, options)})
        search = {k: flat[k] for k in SEARCH_KEYS if k in flat}
        if search:
            cfg = replace(cfg, search=replace(cfg.search, **search))
        endpoint = {k: flat[k] for k in ENDPOINT_KEYS if k in flat}
        if endpoint:
            cfg = replace(cfg, endpoint=replace(cfg.endpoint, **endpoint))
        limits = {new: flat[old] for old, new in BUDGET_KEYS.items() if old in flat}
        if limits:
            cfg = replace(cfg, budget=replace(cfg.budget, **limits))
        rest = {k: flat[k] for k in CONFIG_KEYS if k in flat}
        return replace(cfg, **rest) if rest else cfg


SEARCH_KEYS = tuple(f.name for f in fields(Search))
ENDPOINT_KEYS = tuple(f.name for f in fields(Endpoint))
#: Config's own declared settings (max_tokens, cache).
CONFIG_KEYS = tuple(f.name for f, _ in declared(Config))
#: The flat (and CLI) name of each budget limit -> its field: budget -> calls, token_budget -> tokens, ...
BUDGET_KEYS = {dest_of(f, s): f.name for f, s in declared(Budget)}
FLAT_KEYS = frozenset(
    [f"{k}{s}" for k in ("target", "infiller", "scorer") for s in ("", "_model", "_options")]
    + list(SEARCH_KEYS) + list(ENDPOINT_KEYS) + list(BUDGET_KEYS) + list(CONFIG_KEYS)
)
