"""What several explanations in flight share, and how it is kept safe.

Per explanation (never shared): the query stage (memo, call/token/time budget, stop reason),
the search context (its random generator, trace, counters) and the search's state. Shared
by every item in flight: the Explainer's components and the response cache (SQLite behind a
lock). A component served over HTTP (the ``openai`` target, the ``llm`` infiller or a judge
with ``--base-url``) is called from several threads at once: that is the point. A component
that runs a model in this process (the ``lm`` infiller, Hugging Face models, the fluency
check's GGUF model) keeps state between calls, so the engine lets one item at a time use
it, behind one lock. A target that runs its model in this process is refused: its model
answers one request at a time, so items in flight would only queue for it.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from ...backends.fleet import Fleet
from ...backends.openai import EndpointClient
from ...errors import ConfigError
from ...targets.base import capabilities_of

#: The explainer's parts a guard may put behind the lock (the target is never guarded).
GUARDED_PARTS = ("infiller", "scorer", "constraints")


def check_target(config: Any, parallel: int) -> None:
    """One line refusing ``parallel`` > 1 with a target whose model runs in this process
    (``config``: the explainer's :class:`~promptfoil.config.Config`, or None)."""
    name = getattr(getattr(config, "target", None), "name", None)
    if parallel > 1 and name is not None and capabilities_of(name).in_process:
        label = name if isinstance(name, str) else getattr(name, "name", type(name).__name__)
        raise ConfigError(
            f"--parallel {parallel} keeps items in flight against a server, but target '{label}' runs its "
            "model in this process, one request at a time (items would only queue for it): use --parallel 1, "
            "a served target (--target openai --base-url URL), or --engine ray for processes of their own"
        )


def served(component: Any) -> bool:
    """True for a component that says it may be called from several threads at once
    (``thread_safe = True``, or a target's ``Capabilities.thread_safe``), or that talks to an
    OpenAI-compatible server or fleet."""
    if getattr(component, "thread_safe", False) is True or capabilities_of(component).thread_safe:
        return True
    try:
        values = vars(component).values()
    except TypeError:  # no __dict__ (a builtin, a slotted object)
        return False
    return any(isinstance(v, (EndpointClient, Fleet)) for v in values)


class Guarded:
    """``inner`` with every method call made under ``lock``; attributes read through."""

    def __init__(self, inner: Any, lock: threading.RLock) -> None:
        self.inner = inner
        self.lock = lock

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if not callable(value) or isinstance(value, type):
            return value

        @functools.wraps(value)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                return value(*args, **kwargs)

        return locked

    def __bool__(self) -> bool:
        return bool(self.inner)

    def __repr__(self) -> str:
        return f"Guarded({self.inner!r})"


def guard(explainer: Any) -> list[str]:
    """Put the explainer's in-process parts behind one shared lock, in place (once); returns
    the names of the parts guarded now. Empty constraints and served parts are left as they are."""
    earlier = [c for c in (getattr(explainer, p, None) for p in GUARDED_PARTS) if isinstance(c, Guarded)]
    lock = earlier[0].lock if earlier else threading.RLock()
    guarded: list[str] = []
    for part in GUARDED_PARTS:
        component = getattr(explainer, part, None)
        if component is None or isinstance(component, Guarded) or served(component):
            continue
        if part == "constraints" and not component:
            continue
        setattr(explainer, part, Guarded(component, lock))
        guarded.append(part)
    return guarded
