"""The target protocol and a base class with one hook to override.

A backend subclasses :class:`BaseTarget` and overrides :meth:`BaseTarget._generate_one`
(or :meth:`BaseTarget._generate_batch` when the model batches natively). The base class
owns what every backend needs the same way: the thread pool (``max_concurrency``), the
check that a batch returns one text per prompt, and keeping the answers of a batch that
partly failed (they travel on :class:`TargetError` so the query stage never asks again).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..errors import PromptfoilError, PromptTooLong, TargetError  # noqa: F401  (TargetError: the stage's error, defined low)
from ..registry import Registry
from ..types import Reply


@dataclass(frozen=True)
class Capabilities:
    """What a target is, declared by the target itself (``capabilities`` on its class, or at
    registration for a factory function), so that no other module recognises it by name:

    ``in_process``: its model runs in this process, one request at a time (items in flight
    would only queue for it); ``thread_safe``: it may be called from several threads at once;
    ``endpoint``: it talks to an OpenAI-compatible server (``--base-url`` /
    ``$OPENAI_BASE_URL``), which the chat components then share.
    """

    in_process: bool = False
    thread_safe: bool = False
    endpoint: bool = False


def capabilities_of(target: Any) -> Capabilities:
    """The capabilities of a target object or of a registered name (an unknown target: none)."""
    caps = targets.traits(target) if isinstance(target, str) else getattr(target, "capabilities", None)
    return caps if isinstance(caps, Capabilities) else Capabilities()


@runtime_checkable
class Target(Protocol):
    """The LLM being explained.

    ``identity`` names the model for the response cache; ``None`` means responses may only
    be cached in memory (two different functions must never share cached answers).
    ``settings`` are the generation settings that change the answer (part of the cache key).
    ``cacheable`` is False for sampled generation without a seed. ``batch_size`` is how many
    prompts the search hands over at once. ``generate`` returns one :class:`Reply` (or plain
    string) per prompt, in order.
    """

    name: str
    batch_size: int

    @property
    def identity(self) -> str | None: ...

    @property
    def settings(self) -> dict[str, Any]: ...

    @property
    def cacheable(self) -> bool: ...

    def generate(self, prompts: Sequence[str]) -> Sequence[Reply | str]: ...


def as_reply(value: object, who: str) -> Reply:
    """A backend's answer as a :class:`Reply`; anything but text is a clear error."""
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply(value)
    raise PromptfoilError(f"target '{who}' returned {type(value).__name__} where a text was expected")


class BaseTarget:
    """Subclass and override :meth:`_generate_one`; set ``max_concurrency`` > 1 to run that
    many prompts at once in threads (HTTP backends), or override :meth:`_generate_batch`."""

    name = "target"
    max_concurrency = 1
    capabilities = Capabilities()  # a subclass says what it is (see Capabilities)

    @property
    def batch_size(self) -> int:
        return max(1, int(self.max_concurrency))

    @property
    def identity(self) -> str | None:
        return None

    @property
    def settings(self) -> dict[str, Any]:
        return {}

    @property
    def cacheable(self) -> bool:
        return True

    def _generate_one(self, prompt: str) -> Reply | str:
        raise NotImplementedError(f"{type(self).__name__} must override _generate_one or _generate_batch")

    def _one(self, prompt: str) -> Reply | str:
        """:meth:`_generate_one`; a prompt that does not fit the context is a skipped reply, not
        a failure of the batch."""
        try:
            return self._generate_one(prompt)
        except PromptTooLong as exc:
            return Reply("", skipped=str(exc))

    def _generate_batch(self, prompts: list[str]) -> Sequence[Reply | str]:
        """Every prompt through :meth:`_generate_one`, ``max_concurrency`` at a time.

        When a prompt fails, the others still run to the end and their replies are kept on
        the :class:`TargetError` raised for the first failure.
        """
        workers = min(max(1, int(self.max_concurrency)), len(prompts))
        if workers == 1:
            results: list[Any] = []
            for p in prompts:
                try:
                    results.append(self._one(p))
                except Exception as exc:  # noqa: BLE001 - re-raised with the answers so far
                    failure = self._failure(exc, prompts[: len(results)], results)
                    if failure is exc:
                        raise
                    raise failure from exc
            return results
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(self._one, p) for p in prompts]
            errors = [f.exception() for f in futures]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            ok = [(p, f.result()) for p, f, e in zip(prompts, futures, errors) if e is None]
            failure = self._failure(first, [p for p, _ in ok], [r for _, r in ok])
            if failure is first:
                raise first
            raise failure from first
        return [f.result() for f in futures]

    def _failure(self, exc: BaseException, prompts: list[str], replies: list[Any]) -> TargetError:
        answered = {}
        for p, r in zip(prompts, replies):
            try:
                answered[p] = as_reply(r, self.name)
            except PromptfoilError:
                pass
        if isinstance(exc, TargetError):  # keep its class (e.g. EndpointError), add the answers
            exc.answered = {**answered, **exc.answered}
            return exc
        msg = str(exc) if isinstance(exc, PromptfoilError) else f"target '{self.name}' failed: {type(exc).__name__}: {exc}"
        return TargetError(msg, answered)

    def generate(self, prompts: Sequence[str]) -> list[Reply]:
        """One :class:`Reply` per prompt, in order (checked)."""
        prompts = list(prompts)
        if not prompts:
            return []
        out = list(self._generate_batch(prompts))
        if len(out) != len(prompts):
            raise PromptfoilError(f"target '{self.name}' returned {len(out)} responses for {len(prompts)} prompts")
        return [as_reply(o, self.name) for o in out]

    def describe(self) -> str:
        """Human-readable identity for results and logs."""
        return f"{self.name}({json.dumps(self.settings, sort_keys=True)})"


targets: Registry[Target] = Registry("target")
