"""The `openai` target against a fake OpenAI-compatible server on loopback (fault injection).

The server (testkit/openai_fakes.py) is a plumbing fake: it answers "echo: <prompt>" and
injects faults chosen by markers in the prompt. What is tested is the real client code:
retries, Retry-After, timeouts, error messages, concurrency, budgets, key hygiene. Transport
retries are the ``openai`` client's own (``max_retries``); these tests hold it to what we need.
"""

from __future__ import annotations

import json
import logging
import time

import pytest

pytest.importorskip("openai")

from openai_fakes import FakeOpenAIServer, closed_port
from standins import LostWordsScorer, SuffixInfiller

from promptfoil import Explainer
from promptfoil.cli import main
from promptfoil.errors import ConfigError
from promptfoil.backends.openai import EndpointError
from promptfoil.targets.base import targets
from promptfoil.targets.budget import Budget
from promptfoil.targets.cache import ResponseCache
from promptfoil.targets.openai_compat import OpenAITarget
from promptfoil.targets.query import QueryStage


@pytest.fixture()
def server():
    with FakeOpenAIServer(hang=2.0) as srv:
        yield srv


def target(srv: FakeOpenAIServer, **kw) -> OpenAITarget:
    kw.setdefault("model", "fake-model")
    kw.setdefault("retries", 2)
    kw.setdefault("timeout", 5.0)
    return OpenAITarget(base_url=srv.base_url, **kw)


def texts(t: OpenAITarget, prompts: list[str]) -> list[str]:
    return [r.text for r in t.generate(prompts)]


def test_429_honours_retry_after_then_succeeds(server):
    t = target(server)
    t0 = time.perf_counter()
    assert texts(t, ["slow [429]"]) == ["echo: slow [429]"]
    assert time.perf_counter() - t0 >= 0.9  # Retry-After: 1 was waited, not the short backoff
    assert server.hits["slow [429]"] == 2


@pytest.mark.parametrize("marker", ["[429-date]", "[429-ms]"])
def test_retry_after_as_a_date_or_in_milliseconds_is_waited(server, marker):
    """An HTTP-date Retry-After (about 2 s ahead) or retry-after-ms: 1500 is waited; the
    client's own backoff for a first retry is at most 0.5 s, so a short wait fails this."""
    t = target(server)
    t0 = time.perf_counter()
    assert texts(t, [f"later {marker}"]) == [f"echo: later {marker}"]
    assert time.perf_counter() - t0 >= 0.9
    assert server.hits[f"later {marker}"] == 2


def test_500_then_success(server):
    assert texts(target(server), ["x [500]"]) == ["echo: x [500]"]
    assert server.hits["x [500]"] == 2


def test_hung_request_times_out_and_is_retried(server):
    t = target(server, timeout=0.5)
    assert texts(t, ["wait [hang]"]) == ["echo: wait [hang]"]
    assert server.hits["wait [hang]"] == 2


def test_malformed_json_is_retried_then_reported_naming_the_endpoint(server):
    t = target(server)
    assert texts(t, ["j [badjson]"]) == ["echo: j [badjson]"]
    with pytest.raises(EndpointError, match=server.base_url.replace(".", r"\.")):
        t.generate(["j [badjson-always]"])
    assert server.hits["j [badjson-always]"] == 3  # first try + 2 retries, then a clear error


def test_refused_connection_is_one_line_error_in_the_cli(capsys):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code = main(["explain", "Is it fine to skip a wedding?", "--target", "openai", "--base-url", url,
                 "--target-model", "m", "--scorer", "bleu", "--no-cache", "--json",
                 "--target-option", "retries=1"])
    err = capsys.readouterr().err
    assert code == 2
    assert url in err and "connection failed" in err
    assert "Traceback" not in err


def test_permanent_failure_keeps_answers_of_the_batch(server, tmp_path):
    """One prompt fails for good: the others' answers are cached and never asked again."""
    cache = ResponseCache(tmp_path / "c.sqlite")
    t = target(server, retries=1, max_concurrency=3)
    q = QueryStage(t, cache, Budget(calls=10))
    with pytest.raises(EndpointError, match="HTTP 500") as info:
        q.query(["a", "b [500-always]", "c"])
    assert sorted(info.value.answered) == ["a", "c"]  # the answers travel on the error
    assert server.hits["a"] == 1 and server.hits["c"] == 1
    assert server.hits["b [500-always]"] == 2  # first try + 1 retry (the client's)
    q2 = QueryStage(target(server, retries=1), cache, Budget(calls=10))
    results = q2.query(["a", "c", "d"])
    assert [r.response for r in results] == ["echo: a", "echo: c", "echo: d"]
    assert [r.paid_by for r in results] == ["cache", "cache", "budget"]
    assert server.hits["a"] == 1 and server.hits["c"] == 1 and q2.paid == 1


def test_requests_run_concurrently_up_to_the_limit():
    with FakeOpenAIServer(delay=0.4) as srv:
        t = OpenAITarget(model="m", base_url=srv.base_url, max_concurrency=4)
        assert t.batch_size == 4
        prompts = [f"p{i}" for i in range(8)]
        assert texts(t, prompts) == [f"echo: {p}" for p in prompts]
        assert srv.max_in_flight == 4
        t1 = OpenAITarget(model="m", base_url=srv.base_url, max_concurrency=1)
        srv.max_in_flight = 0
        t1.generate(["q1", "q2", "q3"])
        assert srv.max_in_flight == 1


def test_replies_carry_the_tokens_the_server_reports(server):
    """The fake reports prompt words + answer words as usage; finish_reason "stop"."""
    [reply] = target(server).generate(["one two three"])
    assert reply.tokens == 3 + 4 and not reply.truncated


def test_token_budget_stops_the_search_like_the_call_budget(server):
    """Each fake answer costs 7 tokens; a budget of 12 allows a few requests, then none.
    Prompts are handed over a batch at a time, as the search does."""
    t = target(server, max_concurrency=1)
    q = QueryStage(t, None, Budget(calls=None, tokens=12))
    prompts = [f"w{i} two three" for i in range(6)]
    results = [r for i in range(0, len(prompts), q.batch_size) for r in q.query(prompts[i : i + q.batch_size])]
    answered = [r for r in results if r.response is not None]
    assert 1 <= len(answered) < 6
    assert all(r.paid_by == "none" for r in results[len(answered):])
    assert q.exhausted and q.paid == len(answered)
    assert q.stop_reason.startswith("token budget of 12 spent")
    sent = sum(server.hits.values())
    assert q.query(["more"])[0].response is None
    assert sum(server.hits.values()) == sent  # nothing sent once the budget is spent


def test_completions_api_and_settings(server):
    t = target(server, completions=True, top_p=0.5, model="auto")
    assert texts(t, ["plain"]) == ["echo: plain"]
    assert t.settings["api"] == "completions" and t.settings["top_p"] == 0.5
    assert t.identity == f"openai:{server.base_url}:fake-model"  # the server's only model
    with pytest.raises(ConfigError, match="no option 'colour'"):
        OpenAITarget(model="m", base_url=server.base_url, colour=1)
    with pytest.raises(ConfigError, match="--target-model"):
        OpenAITarget(base_url=server.base_url)
    with pytest.raises(ConfigError, match="has no option 'token_budget'"):  # the query stage's job now
        targets.create("openai", model="m", base_url=server.base_url, token_budget=100)


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError):
        OpenAITarget(model="m", base_url="ftp://nowhere")
    with pytest.raises(ConfigError):
        OpenAITarget(model="m", base_url="http://127.0.0.1:1/v1", max_concurrency=0)
    with pytest.raises(ConfigError, match="NAME of an environment variable"):
        OpenAITarget(model="m", base_url="http://127.0.0.1:1/v1", api_key_env="sk-abc def")


def test_api_key_never_in_results_cache_or_logs(server, tmp_path, monkeypatch, caplog):
    secret = "sk-test-SECRET-0123456789"
    monkeypatch.setenv("MY_KEY", secret)
    caplog.set_level(logging.DEBUG)
    cache_file = tmp_path / "cache.sqlite"
    t = OpenAITarget(model="m", base_url=server.base_url, api_key_env="MY_KEY", retries=1)
    ex = Explainer(target=t, infiller=SuffixInfiller(), scorer=LostWordsScorer(), budget=4,
                   cache=str(cache_file))
    result = ex.explain("Should I [500] call my old friend today?")
    with pytest.raises(EndpointError) as info:
        t.generate(["bad [401-echo]"])
    assert any(secret in h.get("authorization", "") for h in server.headers_seen)  # it was used
    assert secret not in str(info.value)
    assert secret not in json.dumps(result.to_dict())
    assert secret.encode() not in cache_file.read_bytes()
    assert secret not in caplog.text
    assert secret not in repr(t.endpoint) and secret not in t.identity
