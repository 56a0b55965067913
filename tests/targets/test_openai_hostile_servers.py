"""The ``openai`` target against hostile loopback servers: a server cannot make it hang, an
unbounded reply is refused, the defaults bound a hanging server, no key leaks, and errors say
what the server sent. The servers are plumbing fakes (tests/hostile_fakes.py), never a model."""

from __future__ import annotations

import logging
import sqlite3
import time

import pytest

pytest.importorskip("openai")

from hostile_fakes import HostileServer

from promptfoil.cli import build_parser, main
from promptfoil.errors import PromptfoilError
from promptfoil.targets.cache import ResponseCache
from promptfoil.targets.openai_compat import OpenAITarget
from promptfoil.targets.query import QueryStage

KEY = "sk-proj-AbCdEf0123456789ZyXwVu"


def target(srv: HostileServer, **kw) -> OpenAITarget:
    kw.setdefault("model", "fake-model")
    kw.setdefault("retries", 0)
    return OpenAITarget(base_url=kw.pop("base_url", srv.base_url), **kw)


# -- the whole request is bounded -----------------------------------------------------
@pytest.mark.parametrize("mode", ["drip", "drip-headers"])
def test_a_server_dripping_bytes_cannot_outlast_the_timeout(mode):
    with HostileServer(mode, drip=0.3) as srv:
        t = target(srv, timeout=1.5)
        t0 = time.monotonic()
        with pytest.raises(PromptfoilError, match=r"timed out \(no complete answer within 1.5 s\)"):
            t.generate(["Is it wrong to lie?"])
        assert time.monotonic() - t0 < 6


def test_bounded_requests_still_answer_and_reuse_connections():
    with HostileServer("ok") as srv:
        t = target(srv, timeout=5)
        assert [r.text for r in t.generate(["a b", "c d", "e f"])] == ["echo: a b", "echo: c d", "echo: e f"]


# -- an oversized reply is refused and never cached -----------------------------------
@pytest.mark.parametrize("mode", ["huge", "huge-stream"])
def test_a_reply_far_beyond_max_tokens_is_refused_and_not_cached(tmp_path, mode):
    with HostileServer(mode, size=3_000_000) as srv:
        t = target(srv, max_tokens=16)
        cache = ResponseCache(tmp_path / "c.sqlite")
        with pytest.raises(PromptfoilError, match="bytes.*refused"):
            QueryStage(t, cache).original("Is it wrong to lie?")
        assert len(cache) == 0


def test_a_normal_reply_fits_the_cap():
    with HostileServer("huge", size=2_000) as srv:  # 2 kB of text for 16 tokens is still accepted
        assert len(target(srv, max_tokens=16).generate(["hi"])[0].text) == 2_000


# -- defaults a user accepts, said in --help ------------------------------------------
def test_default_timeout_and_retries_bound_a_hanging_server():
    t = OpenAITarget(model="m", base_url="http://127.0.0.1:9/v1")
    worst = t.server.timeout * (t.server.retries + 1)
    assert worst <= 120, f"a hanging server would cost {worst} s per prompt"
    helptext = " ".join(build_parser()._subparsers._group_actions[0].choices["explain"].format_help().split())
    assert f"at most {t.server.timeout:g} s" in helptext and f"tried again {t.server.retries} times" in helptext


# -- secrets ----------------------------------------------------------------------------
@pytest.mark.parametrize("echo", [str.upper, lambda k: k.replace("Bearer sk-proj-", ""), lambda k: k[15:30],
                                  lambda k: k.lower()])
def test_an_echoed_key_is_masked_in_any_case_and_in_part(monkeypatch, caplog, echo):
    monkeypatch.setenv("MYKEY", KEY)
    with HostileServer("echo-key", key_echo=echo) as srv:
        t = target(srv, api_key_env="MYKEY")
        with caplog.at_level(logging.DEBUG), pytest.raises(PromptfoilError) as exc:
            t.generate(["hi"])
    shown = str(exc.value) + caplog.text
    assert "***" in str(exc.value)
    for part in (KEY, KEY.lower(), KEY.upper(), KEY[8:], KEY[15:23]):
        assert part.lower() not in shown.lower()


def test_a_key_in_the_base_url_query_is_sent_right_and_never_stored(tmp_path):
    with HostileServer("ok") as srv:
        url = srv.base_url + "?api_key=SECRETQUERYKEY123"
        t = target(srv, base_url=url)
        QueryStage(t, ResponseCache(tmp_path / "c.sqlite")).original("hello")
        path = srv.requests[-1][0]
    assert path == "/v1/chat/completions?api_key=SECRETQUERYKEY123"  # not /v1/?api_key=...chat/completions
    assert "SECRET" not in (t.identity or "")
    rows = sqlite3.connect(tmp_path / "c.sqlite").execute("SELECT key, target, settings FROM responses").fetchall()
    assert rows and not any("SECRET" in str(r) for r in rows)


def test_url_credentials_and_query_never_reach_an_error(capsys):
    code = main(["explain", "Is it wrong?", "--target", "openai", "--target-model", "m", "--no-cache",
                 "--base-url", "http://user:hunter2pass@127.0.0.1:9/v1?api_key=SECRETQUERYKEY123",
                 "--infiller", "standins:SuffixInfiller", "--scorer", "standins:LostWordsScorer",
                 "--target-option", "retries=0"])
    err = capsys.readouterr().err
    assert code == 2 and "127.0.0.1:9" in err
    assert "SECRETQUERY" not in err and "hunter2" not in err


# -- errors say what the server sent -------------------------------------------------
@pytest.mark.parametrize("mode, needle", [
    ("empty-choices", "empty 'choices' list"),
    ("html", "no JSON completion but '<html>"),
    ("null-content", "null message content"),
])
def test_unreadable_answers_say_what_the_server_sent(tmp_path, mode, needle):
    with HostileServer(mode) as srv:
        cache = ResponseCache(tmp_path / "c.sqlite")
        with pytest.raises(PromptfoilError, match=needle) as exc:
            QueryStage(target(srv), cache).original("Is it wrong to lie?")
        assert "IndexError" not in str(exc.value) and "AttributeError" not in str(exc.value)
        assert len(cache) == 0  # a null answer is not an empty string in the cache
