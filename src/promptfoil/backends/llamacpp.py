"""Local GGUF models through llama-cpp-python: one loaded model per (file, context, logits
mode), shared by everything in the process, and the one chat-completion call that the
``gguf``/``smollm2`` targets and the local chat backend (``llm`` infiller, judges) all use.

Messages go through the model's chat template as token ids (:mod:`.chat_template`): text
inside a message is never read as a control token, so it cannot open a turn or a role.
"""

from __future__ import annotations

import atexit
import math
import threading
import weakref
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import PromptfoilError, PromptTooLong
from .chat import ChatReply, ChatRequest
from .chat_template import chat_tokens
from .embedded import require
from .identity import file_identity
from .llamacpp_batch import BatchGenerator
from .llamacpp_template import ChatTemplate
from .model_store import model_file
from .threads import default_threads

_LOCK = threading.Lock()  # a llama.cpp context answers one request at a time
#: Every model :func:`load_llama` loaded and :func:`close_models` has not closed yet.
_LOADED: weakref.WeakSet[Any] = weakref.WeakSet()


@lru_cache(maxsize=8)
def load_llama(path: str, n_ctx: int, logits_all: bool, n_threads: int | None = None) -> Any:
    """One shared ``llama_cpp.Llama`` per (file, context, logits mode); closed at interpreter
    exit by :func:`close_models`."""
    llama_cpp = require("llama_cpp", "A GGUF model", "llama-cpp-python", "local")
    if not Path(path).is_file():
        raise PromptfoilError(f"GGUF model file not found: {path}")
    try:
        llm = llama_cpp.Llama(
            model_path=path,
            n_ctx=n_ctx,
            logits_all=logits_all,
            n_threads=n_threads or default_threads(),
            n_threads_batch=n_threads or default_threads(),  # llama-cpp-python's default: every core
            seed=0,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        raise PromptfoilError(f"could not load GGUF model {path}: {exc}") from None
    _LOADED.add(llm)
    return llm


def close_models(wait: float = 10.0) -> int:
    """Free every llama.cpp context and model loaded in this process, now; returns how many
    models were closed. Registered with :mod:`atexit`: left to garbage collection, a model
    may be freed after llama-cpp-python's own module is torn down at interpreter exit, which
    prints ``Exception ignored in: <function Llama.__del__ ...> ... 'NoneType' object is not
    callable``. A later :func:`load_llama` loads the model again. Waits up to ``wait`` seconds
    for a request in progress; past that nothing is closed (freeing a model in use would crash).
    """
    if not _LOCK.acquire(timeout=wait):
        return 0
    try:
        from .llama_seqs import OPEN

        for seqs in list(OPEN):  # a context before its model
            _quietly(seqs.close)
        load_llama.cache_clear()
        models = list(_LOADED)
        for llm in models:
            _quietly(llm.close)
        _LOADED.clear()
        return len(models)
    finally:
        _LOCK.release()


def _quietly(close: Any) -> None:
    try:
        close()
    except Exception:  # noqa: BLE001 - at exit: nothing left to tell
        pass


atexit.register(close_models)


class LocalChat:
    """A GGUF chat model (a path or a short name of ``promptfoil models``; default: the
    embedded SmolLM2), loaded on first request.

    The file is found when the backend is built, so a missing model package or file is
    reported then, not in the middle of a search.
    """

    def __init__(self, model_path: str | Path | None = None, n_ctx: int = 2048, max_batch: int = 16) -> None:
        self.path = model_file(model_path)
        if not self.path.is_file():
            raise PromptfoilError(f"GGUF model file not found: {self.path}")
        self.n_ctx = n_ctx
        self.max_batch = max_batch
        self._identity: str | None = None
        self._batcher: BatchGenerator | None = None
        self._template: ChatTemplate | None = None
        self._batch_lock = threading.Lock()  # the batch context, one batch at a time

    @property
    def identity(self) -> str:
        if self._identity is None:
            self._identity = f"llamacpp:{file_identity(self.path)}"
        return self._identity

    def _prompt_ids(self, llm: Any, r: ChatRequest) -> list[int]:
        """The request's token ids through the chat template (typed text stays text)."""
        return chat_tokens(llm, r.as_messages())

    def fits(self, requests: Sequence[ChatRequest]) -> bool:
        """Every prompt leaves ``max_tokens`` of context for its answer."""
        llm = load_llama(str(self.path), self.n_ctx, False)
        return all(len(self._prompt_ids(llm, r)) + r.max_tokens <= self.n_ctx for r in requests)

    def _check_room(self, n_prompt: int, r: ChatRequest) -> None:
        """The prompt and ``max_tokens`` must fit the context (llama.cpp would shorten the answer)."""
        if n_prompt + r.max_tokens > self.n_ctx:
            raise PromptTooLong(
                f"prompt of {n_prompt} tokens does not fit the model context of {self.n_ctx} "
                f"with max_tokens={r.max_tokens}"
            )

    def one(self, r: ChatRequest, need_room: bool = False) -> ChatReply:
        """Answer one request; ``need_room`` refuses a prompt that leaves less than
        ``max_tokens`` of context for the answer (the targets want whole answers)."""
        kw: dict[str, Any] = {"max_tokens": r.max_tokens, "temperature": r.temperature}
        if r.temperature == 0:
            kw["top_k"] = 1
        if r.seed is not None:
            kw["seed"] = r.seed
        if r.top_logprobs:
            kw["logprobs"] = r.top_logprobs
        with _LOCK:
            # prompt logits for every token are slow; only ask for them when needed
            llm = load_llama(str(self.path), self.n_ctx, bool(r.top_logprobs))
            try:
                ids = self._prompt_ids(llm, r)
                if need_room:
                    self._check_room(len(ids), r)
                out = llm.create_completion(prompt=ids, **kw)
            except (ValueError, RuntimeError) as exc:  # e.g. the prompt exceeds the context
                raise PromptfoilError(f"local chat model {self.path.name} failed: {exc}") from None
        return _reply(out, r.top_logprobs)

    # -- many requests at once --------------------------------------------------------
    def batchable(self, requests: Sequence[ChatRequest]) -> bool:
        """Greedy requests without log-probabilities, all with the same ``max_tokens``, on
        a model whose chat format is its own template: these decode as one batch."""
        if len(requests) < 2 or len({r.max_tokens for r in requests}) != 1:
            return False
        if any(r.temperature != 0 or r.top_logprobs for r in requests):
            return False
        if self._template is None:
            self._template = ChatTemplate.of(load_llama(str(self.path), self.n_ctx, False))
        return self._template is not None

    def batch(self, requests: Sequence[ChatRequest], need_room: bool = False) -> list[ChatReply]:
        """Answer greedy requests together (see :meth:`batchable`): the same replies as
        :meth:`one` gives one at a time, in fewer model passes."""
        llm = load_llama(str(self.path), self.n_ctx, False)
        if self._template is None and not self.batchable(requests):
            return [self.one(r, need_room) for r in requests]
        assert self._template is not None
        prompts = [self._template.render(r.as_messages()) for r in requests]
        if need_room:
            for r, p in zip(requests, prompts):
                self._check_room(len(p.tokens), r)
        with self._batch_lock:
            if self._batcher is None:
                self._batcher = BatchGenerator(llm, self.n_ctx, self.max_batch)
            try:
                answers = self._batcher.generate(prompts, requests[0].max_tokens)
            except (ValueError, RuntimeError) as exc:
                raise PromptfoilError(f"local chat model {self.path.name} failed: {exc}") from None
        return [
            ChatReply(a.text, None, len(p.tokens) + len(a.tokens), a.truncated) for p, a in zip(prompts, answers)
        ]

    def close(self) -> None:
        """Free this backend's batch context now; the shared model stays loaded for other
        users (:func:`close_models` frees every model, as it does at interpreter exit)."""
        with self._batch_lock:
            if self._batcher is not None:
                self._batcher.close()
                self._batcher = None

    def first_token_batchable(self, requests: Sequence[ChatRequest]) -> bool:
        """Greedy one-token requests with log-probabilities (a verdict judge's reads) on a model
        whose chat format is its own template: read together, only each last row of logits."""
        if not requests or any(r.max_tokens != 1 or r.temperature != 0 or not r.top_logprobs for r in requests):
            return False
        if self._template is None:
            self._template = ChatTemplate.of(load_llama(str(self.path), self.n_ctx, False))
        return self._template is not None

    def first_tokens(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        """Answer :meth:`first_token_batchable` requests: the greedy token and the first token's
        ``top_logprobs`` likeliest alternatives, without the every-token logits :meth:`one` needs."""
        if not self.first_token_batchable(requests):
            return [self.one(r) for r in requests]
        assert self._template is not None
        llm = load_llama(str(self.path), self.n_ctx, False)
        prompts = [self._template.render(r.as_messages()) for r in requests]
        with self._batch_lock:
            if self._batcher is None:
                self._batcher = BatchGenerator(llm, self.n_ctx, self.max_batch)
            try:
                read = self._batcher.first_tokens(prompts, max(r.top_logprobs for r in requests))
            except (ValueError, RuntimeError) as exc:
                raise PromptfoilError(f"local chat model {self.path.name} failed: {exc}") from None
        return [
            ChatReply(a.text, dict(list(top.items())[: r.top_logprobs]), len(p.tokens) + len(a.tokens), a.truncated)
            for r, p, (a, top) in zip(requests, prompts, read)
        ]

    def chat(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        if self.first_token_batchable(requests):
            return self.first_tokens(requests)
        if self.batchable(requests):
            return self.batch(requests)
        return [self.one(r) for r in requests]


def _reply(out: dict[str, Any], top_logprobs: int) -> ChatReply:
    """A :class:`ChatReply` from a llama.cpp completion (text, usage, first-token alternatives)."""
    choice = out["choices"][0]
    usage = out.get("usage") or {}
    first = None
    if top_logprobs:
        tops = (choice.get("logprobs") or {}).get("top_logprobs") or []
        if tops and isinstance(tops[0], dict):
            first = {t: math.exp(lp) for t, lp in tops[0].items() if math.isfinite(lp)} or None
    tokens = int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
    return ChatReply(str(choice.get("text") or ""), first, tokens, choice.get("finish_reason") == "length")
