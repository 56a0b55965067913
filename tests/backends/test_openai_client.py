"""Parts of the OpenAI-compatible endpoint client of their own: a rate limit spaces the
starts of requests, and a URL loses its credentials before it is shown."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("openai")

from promptfoil.backends.openai import RateLimiter  # noqa: E402
from promptfoil.errors import ConfigError  # noqa: E402


def test_rate_limit_spaces_request_starts():
    limiter = RateLimiter(rpm=600)  # one start per 0.1 s
    t0 = time.perf_counter()
    for _ in range(4):
        limiter.wait()
    assert time.perf_counter() - t0 >= 0.29
    with pytest.raises(ConfigError):
        RateLimiter(rpm=0)


def test_urls_lose_credentials():
    from promptfoil.backends.openai import redact_url

    assert redact_url("http://user:pw@host:8000/v1/") == "http://host:8000/v1"
