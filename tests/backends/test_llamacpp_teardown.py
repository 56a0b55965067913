"""llama.cpp models are closed at interpreter exit, before llama-cpp-python's own module is
torn down: a process that used the embedded model exits without ``Exception ignored in:
<function Llama.__del__ ...> ... 'NoneType' object is not callable`` on stderr (slow: loads
the embedded SmolLM2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import requires_models

SRC = Path(__file__).resolve().parents[2] / "src"

SCRIPT = r"""
import atexit, sys

seen = {}

def after_everything():  # registered first, so it runs last of the exit hooks
    llm = seen["llm"]
    print("model freed" if llm._model.model is None else "model still loaded", flush=True)
    print("batch context freed" if seen["ctx"].ctx is None else "batch context still open", flush=True)

atexit.register(after_everything)

from promptfoil.backends.chat import ChatRequest
from promptfoil.backends.llamacpp import LocalChat, load_llama

chat = LocalChat()
one = chat.chat([ChatRequest.of([{"role": "user", "content": "Yes or no?"}], max_tokens=2, temperature=0.0,
                                 top_logprobs=3)])
two = chat.chat([ChatRequest.of([{"role": "user", "content": f"Say hi {i}"}], max_tokens=2, temperature=0.0)
                 for i in range(2)])
assert one and len(two) == 2
seen["llm"] = load_llama(str(chat.path), chat.n_ctx, False)
seen["ctx"] = chat._batcher._seqs._ctx
print("answered", flush=True)
"""


@pytest.mark.slow
@requires_models
def test_a_process_that_used_the_embedded_model_exits_quietly_with_its_models_closed():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "answered" in done.stdout
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr[-3000:]
    # freed by promptfoil's exit hook, not left to garbage collection during interpreter teardown
    assert "model freed" in done.stdout and "batch context freed" in done.stdout, done.stdout

