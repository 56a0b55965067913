"""``--engine ray``: the same results as a local run, whatever dies on the way.

Ray runs locally (2 CPUs, started here) with deterministic stand-ins named by import path,
so each actor builds its own Explainer from the Config as it would on a cluster.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from promptfoil import Component, Config
from promptfoil.cli import main
from promptfoil.runs import iter_results, read_items, read_results, run

HERE = Path(__file__).resolve().parents[1]  # tests/: the stand-ins the workers import
SRC = HERE.parent / "src"
STANDINS = ["--target", "standins:recording_target", "--infiller", "standins:SuffixInfiller",
            "--scorer", "standins:LostWordsScorer", "--budget", "4", "--threshold", "0.2",
            "--target-option", "fail_on=friend 7 "]
WORDS = ("honest kind fair brave quiet loyal polite clever patient generous humble curious calm proud "
         "gentle bold wise silly eager modest").split()
EXTRA = "really and honestly right now when asked".split()


def prompts_file(tmp_path: Path, n: int = 20) -> Path:
    rows = [{"id": f"q{i}", "group": i % 3, "prompt": " ".join(
        ["Is it", WORDS[i % len(WORDS)], "to tell", *EXTRA[: i % 6], f"my friend {i} the truth?"])} for i in range(n)]
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def config(cache: Path, delay: float = 0.0) -> Config:
    return Config(target=Component("standins:recording_target", options={"delay": delay}),
                  infiller=Component("standins:SuffixInfiller"), scorer=Component("standins:LostWordsScorer"),
                  cache=str(cache)).with_options(budget=4, threshold=0.2)


def without_seconds(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if k not in ("seconds", "seconds_by_stage")}
    if isinstance(value, list):
        return [without_seconds(v) for v in value]
    return value


def by_id(path: Path) -> dict[str, Any]:
    ids = [rec["id"] for _, rec in iter_results(path)]
    assert len(ids) == len(set(ids)), "an item was written twice"
    return {r["id"]: without_seconds(r) for r in read_results(path)}


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray of 2 CPUs whose workers import promptfoil from this tree and the stand-ins."""
    ray = pytest.importorskip("ray")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE), str(SRC)] + ([old] if old else []))
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level=logging.WARNING)
    try:
        yield ray
    finally:
        ray.shutdown()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def test_twenty_items_over_three_actors_equal_a_local_run(local_ray, tmp_path, capsys):
    prompts = prompts_file(tmp_path)
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert main(["run", str(prompts), "--out", str(local), *STANDINS, "--cache", str(tmp_path / "c1")]) == 0
    assert main(["run", str(prompts), "--out", str(remote), *STANDINS, "--cache", str(tmp_path / "c2"),
                 "--engine", "ray", "--workers", "3", "--worker-cpus", "0.5"]) == 0
    want, got = by_id(local), by_id(remote)
    assert len(want) == 20 and got == want
    assert 0 < sum(bool(r.get("found")) for r in want.values()) < 19
    assert [i for i, r in want.items() if "error" in r] == ["q7"]  # failed for its own reasons, as locally
    assert "fails on 'friend 7 '" in got["q7"]["error"]
    assert "engine ray: 3 worker(s)" in capsys.readouterr().err


@pytest.mark.slow
def test_killed_actor_is_restarted_and_nothing_is_lost_or_written_twice(local_ray, tmp_path):
    from promptfoil.runs.engines.ray import RayEngine

    items = read_items(prompts_file(tmp_path))
    engine = RayEngine(config(tmp_path / "c", delay=0.05), workers=2, worker_cpus=0.5)
    seen: list[str] = []
    killed: list[bool] = []

    def kill_once(it: Any, _rec: dict[str, Any]) -> None:
        seen.append(it.id)
        if len(seen) == 3:  # the actor has items in flight: one running, one queued
            local_ray.kill(engine.actors[0], no_restart=False)
            killed.append(True)

    with engine:
        summary = run(items, engine, tmp_path / "r.jsonl", on_item=kill_once)
        assert local_ray.get(engine.actors[0].ready.remote()) is None  # restarted, Explainer rebuilt
    assert killed and (summary.done, summary.failed) == (20, 0)
    assert sorted(by_id(tmp_path / "r.jsonl")) == sorted(it.id for it in items)


@pytest.mark.slow
def test_actor_gone_for_good_hands_its_items_to_the_others(local_ray, tmp_path):
    from promptfoil.runs.engines.ray import RayEngine

    items = read_items(prompts_file(tmp_path, 8))
    engine = RayEngine(config(tmp_path / "c", delay=0.05), workers=2, worker_cpus=0.5)
    state = {"killed": False}

    def kill_for_good(_it: Any, _rec: dict[str, Any]) -> None:
        if not state["killed"]:
            local_ray.kill(engine.actors[1], no_restart=True)
            state["killed"] = True

    with engine:
        summary = run(items, engine, tmp_path / "r.jsonl", on_item=kill_for_good)
    assert (summary.done, summary.failed) == (8, 0)
    assert sorted(by_id(tmp_path / "r.jsonl")) == sorted(it.id for it in items)


def test_a_worker_that_cannot_build_its_explainer_stops_the_run_in_one_line(local_ray, tmp_path, capsys):
    prompts = prompts_file(tmp_path, 3)
    code = main(["run", str(prompts), "--out", str(tmp_path / "r.jsonl"), *STANDINS, "--no-cache",
                 "--target-option", "speed=11", "--engine", "ray", "--workers", "1", "--worker-cpus", "0.5"])
    err = capsys.readouterr().err
    assert code == 2 and "no option 'speed'" in err and "Traceback" not in err


@pytest.mark.slow
def test_killed_driver_is_resumed_by_running_again(local_ray, tmp_path):
    """SIGKILL a driver that joined the cluster (``--address``) mid-run, then run it again."""
    prompts, out = prompts_file(tmp_path, 8), tmp_path / "r.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    address = local_ray.get_runtime_context().gcs_address
    cmd = [sys.executable, "-m", "promptfoil.cli", "run", str(prompts), "--out", str(out), *STANDINS,
           "--cache", str(tmp_path / "c"), "--engine", "ray", "--address", address, "--workers", "2",
           "--worker-cpus", "0.5"]
    proc = subprocess.Popen([*cmd, "--target-option", "delay=0.1"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if out.exists() and out.read_text(encoding="utf-8").count("\n") >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)  # its actors die with it: Ray ends a dead driver's job
    proc.wait(10)
    proc.stderr.close()
    before = len(by_id(out))
    assert 3 <= before < 8
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"resuming: {before} item(s)" in again.stderr
    assert sorted(by_id(out)) == sorted(f"q{i}" for i in range(8))


@pytest.mark.slow
def test_ray_workers_send_to_the_fleet_and_skip_its_failing_server(local_ray, tmp_path):
    pytest.importorskip("openai")
    from openai_fakes import FakeOpenAIServer

    from promptfoil.runs.engines.ray import RayEngine

    items = read_items(prompts_file(tmp_path, 6))
    with FakeOpenAIServer() as a, FakeOpenAIServer() as b:
        b.failing = True
        cfg = Config(target=Component("openai", "fake-model"), infiller=Component("standins:SuffixInfiller"),
                     scorer=Component("standins:LostWordsScorer"), cache=False,
                     ).with_options(base_url=(a.base_url, b.base_url), max_concurrency=2, budget=3)
        with RayEngine(cfg, workers=2, worker_cpus=0.5) as engine:
            summary = run(items, engine, tmp_path / "r.jsonl")
    assert (summary.done, summary.failed) == (6, 0)
    assert sum(a.hits.values()) >= 6 * 4 and sum(b.hits.values()) > 0  # b was tried, a answered all


def test_engine_ray_without_ray_installed_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    code = main(["run", str(prompts_file(tmp_path, 2)), "--out", str(tmp_path / "r.jsonl"), *STANDINS,
                 "--engine", "ray"])
    err = " ".join(capsys.readouterr().err.split())  # one line, however the terminal wraps it
    assert code == 2 and err.startswith("error: --engine ray needs the package 'ray'")
    assert err.endswith("pip install 'promptfoil[ray]'")


def test_ray_flags_need_the_ray_engine(tmp_path, capsys):
    code = main(["run", str(prompts_file(tmp_path, 2)), "--out", str(tmp_path / "r.jsonl"), *STANDINS,
                 "--workers", "3"])
    assert code == 2 and "--workers only apply to --engine ray" in capsys.readouterr().err


def test_experiment_runs_its_grid_on_ray_like_locally(local_ray, tmp_path):
    """`experiment tables --engine ray`: every grid cell gets its own engine, same records as local."""
    prompts = prompts_file(tmp_path, n=4)
    common = ["experiment", "tables", "--prompts", str(prompts), *STANDINS, "--scorers", "standins:LostWordsScorer",
              "--split-ks", "1", "--no-baseline", "--no-content", "--compare-scorer", "bleu"]
    assert main([*common, "--out", str(tmp_path / "local"), "--cache", str(tmp_path / "c1")]) == 0
    assert main([*common, "--out", str(tmp_path / "ray"), "--cache", str(tmp_path / "c2"),
                 "--engine", "ray", "--workers", "2", "--worker-cpus", "0.5"]) == 0
    local_runs = sorted((tmp_path / "local" / "runs").glob("*.jsonl"))
    assert len(local_runs) == 2  # cell and cell-budget
    for path in local_runs:
        assert by_id(tmp_path / "ray" / "runs" / path.name) == by_id(path)
