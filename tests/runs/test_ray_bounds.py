"""``--engine ray`` never hangs: an address nothing answers on, a worker no node can hold and
worker resources that are not finite numbers end the run with one line (exit 2), and the
results file's lock is released however the run ends (SIGTERM included).

Each CLI run is a subprocess with a hard timeout, so a regression fails instead of hanging.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from promptfoil import Component, Config, ConfigError
from promptfoil.cli import build_parser

HERE = Path(__file__).resolve().parent.parent  # tests/
SRC = HERE.parent / "src"
STANDINS = ["--target", "standins:recording_target", "--infiller", "standins:SuffixInfiller",
            "--scorer", "standins:LostWordsScorer", "--budget", "4", "--threshold", "0.2", "--no-cache"]


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    e["PYTHONPATH"] = os.pathsep.join([str(HERE), str(SRC)] + ([e["PYTHONPATH"]] if e.get("PYTHONPATH") else []))
    return e


def prompts(tmp_path: Path) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text(json.dumps({"id": "q1", "prompt": "Is it kind to tell my friend the truth?"}) + "\n",
                    encoding="utf-8")
    return path


def promptfoil(args: list[str], limit: float) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "promptfoil.cli", *args], capture_output=True, text=True,
                              env=env(), timeout=limit)
    except subprocess.TimeoutExpired:
        pytest.fail(f"promptfoil {' '.join(args)} still ran after {limit} s")
    return done, time.monotonic() - start


def error_lines(stderr: str) -> list[str]:
    """promptfoil's error lines (Ray logs lines of its own)."""
    return [ln for ln in stderr.splitlines() if ln.startswith("error:")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config() -> Config:
    return Config(target=Component("standins:recording_target"), infiller=Component("standins:SuffixInfiller"),
                  scorer=Component("standins:LostWordsScorer"), cache=False)


def test_an_address_nothing_listens_on_is_one_line_naming_it_and_no_lock_is_left(tmp_path):
    pytest.importorskip("ray")
    port = free_port()
    out = tmp_path / "r.jsonl"
    done, took = promptfoil(["run", str(prompts(tmp_path)), "--out", str(out), *STANDINS,
                             "--engine", "ray", "--address", f"127.0.0.1:{port}"], limit=90)
    lines = error_lines(done.stderr)
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "refused" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert took < 60
    assert not out.with_name("r.jsonl.lock").exists()


def test_an_address_that_answers_but_not_as_ray_is_bounded_by_ray_timeout(tmp_path):
    """A port that accepts connections and says nothing: Ray would retry it for many minutes."""
    pytest.importorskip("ray")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    out = tmp_path / "r.jsonl"
    try:
        done, took = promptfoil(["run", str(prompts(tmp_path)), "--out", str(out), *STANDINS, "--engine", "ray",
                                 "--address", f"127.0.0.1:{port}", "--ray-timeout", "4"], limit=90)
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()
    lines = error_lines(done.stderr)
    assert done.returncode == 2, done.stderr
    assert any(f"127.0.0.1:{port}" in ln and "within 4 s" in ln for ln in lines), done.stderr
    assert "Traceback" not in done.stderr
    assert took < 60
    assert not out.with_name("r.jsonl.lock").exists()


@pytest.mark.parametrize("flag", ["--worker-cpus", "--worker-gpus"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_worker_resources_must_be_finite_and_not_negative_on_the_command_line(flag, value, capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["run", "p.jsonl", "--out", "r.jsonl", "--engine", "ray", flag, value])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert flag in err and "finite" in err


@pytest.mark.parametrize("kw", [{"worker_cpus": math.nan}, {"worker_gpus": math.inf}, {"worker_cpus": -0.5},
                                {"worker_gpus": float("-inf")}, {"timeout": 0}, {"timeout": math.nan}])
def test_the_ray_engine_refuses_non_finite_or_negative_resources_before_starting_ray(kw):
    pytest.importorskip("ray")
    import ray

    from promptfoil.runs.engines.ray import RayEngine

    was_up = ray.is_initialized()
    with pytest.raises(ConfigError):
        RayEngine(config(), **kw)
    assert ray.is_initialized() == was_up


def test_sigterm_during_a_run_releases_the_results_lock(tmp_path):
    """A run stopped with SIGTERM (``kill``, a job scheduler) removes its lock file."""
    out = tmp_path / "r.jsonl"
    lock = out.with_name("r.jsonl.lock")
    proc = subprocess.Popen([sys.executable, "-m", "promptfoil.cli", "run", str(prompts(tmp_path)), "--out", str(out),
                             *STANDINS, "--target-option", "delay=60"], env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not lock.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert lock.exists(), proc.communicate(timeout=5)
        time.sleep(1.0)  # well inside the run (the stand-in target sleeps 60 s)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert not lock.exists(), stderr


@pytest.mark.slow
def test_a_worker_no_node_of_a_local_ray_can_hold_is_one_line_with_asked_and_free(tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "r.jsonl"
    done, took = promptfoil(["run", str(prompts(tmp_path)), "--out", str(out), *STANDINS, "--engine", "ray",
                             "--worker-gpus", "1e9", "--ray-timeout", "60"], limit=150)
    lines = error_lines(done.stderr)
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and "1e+09 GPU" in lines[0] and "free" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert not out.with_name("r.jsonl.lock").exists()


PLACEMENT = """
import logging, sys, time
import ray
from promptfoil import Component, Config, PromptfoilError
from promptfoil.runs.engines.ray import RayEngine
ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
cfg = Config(target=Component("standins:recording_target"), infiller=Component("standins:SuffixInfiller"),
             scorer=Component("standins:LostWordsScorer"), cache=False)
engine = RayEngine(cfg, workers=1, worker_gpus=1e9, timeout=3)
start = time.monotonic()
try:
    engine.start()
except PromptfoilError as exc:
    print(f"ERROR {time.monotonic() - start:.1f} {exc}")
else:
    print("STARTED")
finally:
    engine.close()
    ray.shutdown()
"""


@pytest.mark.slow
def test_placement_on_a_joined_cluster_that_cannot_hold_a_worker_is_bounded(tmp_path):
    """A cluster we join may still grow, so the engine waits, but only ``timeout`` seconds."""
    pytest.importorskip("ray")
    try:
        done = subprocess.run([sys.executable, "-c", PLACEMENT], capture_output=True, text=True, env=env(),
                              timeout=150)
    except subprocess.TimeoutExpired:
        pytest.fail("the engine still waited for placement after 150 s")
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("ERROR ")), "")
    assert line, done.stdout + done.stderr
    took = float(line.split()[1])
    assert took < 30
    assert "within 3 s" in line and "1e+09 GPU" in line and "of 1 CPU" in line, line
