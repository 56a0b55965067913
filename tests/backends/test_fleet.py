"""Several ``--base-url``s: a fleet of loopback fake servers (testkit/openai_fakes.py).

The servers are plumbing fakes ("echo: <prompt>"); what is tested is how requests are spread,
limited per server, and moved off a server that fails.
"""

from __future__ import annotations

import pytest

pytest.importorskip("openai")

from openai_fakes import FakeOpenAIServer, closed_port
from standins import LostWordsScorer, SuffixInfiller

from promptfoil import Config, Endpoint, Explainer
from promptfoil.backends.chat import ChatRequest
from promptfoil.backends.chat_factory import chat_backend
from promptfoil.backends.fleet import Fleet
from promptfoil.backends.openai import EndpointClient, EndpointError
from promptfoil.cli import build_parser
from promptfoil.cli.options import config_from_args
from promptfoil.errors import ConfigError
from promptfoil.runs import LocalEngine, RunItem, run
from promptfoil.targets.openai_compat import OpenAITarget


@pytest.fixture()
def pair():
    with FakeOpenAIServer(delay=0.05) as a, FakeOpenAIServer(delay=0.05) as b:
        yield a, b


def test_one_url_is_todays_single_server_client(pair):
    a, _ = pair
    t = OpenAITarget(model="fake-model", base_url=[a.base_url])
    assert isinstance(t.server, EndpointClient) and t.max_concurrency == 4
    assert t.identity == OpenAITarget(model="fake-model", base_url=a.base_url).identity
    assert Endpoint(base_url=[a.base_url]).base_url == a.base_url


def test_repeated_base_url_makes_a_fleet_config():
    args = build_parser().parse_args(["run", "p.jsonl", "--out", "r.jsonl", "--base-url", "http://a:8000/v1",
                                      "--base-url", "http://b:8000/v1", "--max-concurrency", "3"])
    ep = config_from_args(args).endpoint
    assert ep.base_url == ("http://a:8000/v1", "http://b:8000/v1") and ep.max_concurrency == 3
    with pytest.raises(ConfigError, match="twice"):
        OpenAITarget(model="m", base_url=["http://a:8000/v1", "http://a:8000/v1"])


def test_requests_spread_over_servers_within_the_per_server_limit():
    with FakeOpenAIServer(delay=0.5) as a, FakeOpenAIServer(delay=0.5) as b:
        t = OpenAITarget(model="fake-model", base_url=[a.base_url, b.base_url], max_concurrency=2)
        assert isinstance(t.server, Fleet) and t.batch_size == 4
        replies = t.generate([f"prompt {i}" for i in range(8)])
    assert [r.text for r in replies] == [f"echo: prompt {i}" for i in range(8)]
    # neither past its limit, the limit reached, and both servers used (a loaded machine may
    # start the threads late, so the split need not be exactly even)
    assert max(a.max_in_flight, b.max_in_flight) == 2 and min(a.max_in_flight, b.max_in_flight) >= 1
    assert sum(a.hits.values()) + sum(b.hits.values()) == 8 and min(sum(a.hits.values()), sum(b.hits.values())) >= 2


def test_a_server_that_starts_failing_leaves_every_item_to_the_other(pair, tmp_path):
    a, b = pair
    explainer = Explainer(target="openai", target_model="fake-model",
                          target_options={"base_url": [a.base_url, b.base_url], "max_concurrency": 2},
                          infiller=SuffixInfiller(), scorer=LostWordsScorer(), budget=4, cache=False)
    fleet = explainer.target.server
    items = [RunItem(f"q{i}", f"Should I tell my neighbour number {i} about the noise?") for i in range(6)]
    seen: dict[str, list[int]] = {}

    def break_b(it: RunItem, _rec: dict) -> None:
        if it.id == "q1":
            b.failing = True
            seen["at_flip"] = list(fleet.answered)

    summary = run(items, LocalEngine(explainer), tmp_path / "r.jsonl", on_item=break_b)
    assert (summary.done, summary.failed) == (6, 0)
    assert fleet.answered[1] == seen["at_flip"][1] > 0  # b answered before, nothing after
    assert fleet.answered[0] > seen["at_flip"][0]  # a took over


def test_every_server_down_is_one_line_naming_the_fleet():
    urls = [f"http://127.0.0.1:{closed_port()}/v1", f"http://127.0.0.1:{closed_port()}/v1"]
    t = OpenAITarget(model="m", base_url=urls, retries=1, timeout=2.0)
    with pytest.raises(EndpointError) as exc:
        t.generate(["hello there"])
    msg = str(exc.value)
    assert "every server of the fleet failed" in msg and "connection failed" in msg and "\n" not in msg


def test_a_request_the_server_refuses_is_not_tried_on_the_others(pair):
    a, b = pair
    t = OpenAITarget(model="fake-model", base_url=[a.base_url, b.base_url])
    with pytest.raises(EndpointError, match="HTTP 401"):
        t.generate(["who am I [401-echo]"])
    assert a.hits["who am I [401-echo]"] + b.hits["who am I [401-echo]"] == 1


def test_chat_components_get_the_fleet_too(pair):
    a, b = pair
    backend = chat_backend("fake-model", [a.base_url, b.base_url], max_concurrency=1)
    assert isinstance(backend, Fleet)
    replies = backend.chat([ChatRequest.turn(f"fill {i}") for i in range(4)])
    assert [r.text for r in replies] == [f"echo: fill {i}" for i in range(4)]
    assert sum(a.hits.values()) and sum(b.hits.values())
    cfg = Config().with_options(base_url=(a.base_url, b.base_url))
    assert cfg.endpoint.base_url == (a.base_url, b.base_url)
