"""How many threads the models compute with: ``$PROMPTFOIL_THREADS``, else the libraries' own.

llama.cpp and torch keep their worker threads spinning while they wait for each other. On a
machine whose cores other processes keep busy, those waiting threads take turns away from the
working ones: measured on 2 shared cores (load average about 10), one SmolLM2 token took 45 ms
with one thread and 220 ms with two; MiniLM embeddings 16 times longer with two torch threads
than with one. ``PROMPTFOIL_THREADS=1`` is then much faster; on idle cores the default (every
core, at most 8) is.
"""

from __future__ import annotations

import os


def env_threads() -> int | None:
    """``$PROMPTFOIL_THREADS`` as a whole number of at least 1, else None."""
    value = os.environ.get("PROMPTFOIL_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def default_threads() -> int:
    """llama.cpp threads per context: ``$PROMPTFOIL_THREADS``, else the cores (at most 8)."""
    return env_threads() or max(1, min(8, os.cpu_count() or 1))


def limit_torch(torch: object) -> None:
    """Apply ``$PROMPTFOIL_THREADS`` to torch (process-wide) when it is set."""
    n = env_threads()
    if n is not None and torch.get_num_threads() != n:  # type: ignore[attr-defined]
        torch.set_num_threads(n)  # type: ignore[attr-defined]
