"""A tiny OpenAI-compatible HTTP server on loopback for fault injection and timing.

This is a FAKE for plumbing only: it answers with a fixed transformation of the prompt
("echo: <prompt>") so that tests can check transport, retries, concurrency and budget
accounting of the real client code. It never stands in for a model's behaviour; the real
server tests use llama-cpp-python's server.

Faults are chosen by markers inside the prompt text (first request of that prompt only,
unless the marker says ``always``):
  [429]        429 with ``Retry-After: 1``       [500]   HTTP 500
  [429-date]   429, Retry-After as an HTTP date 2 s ahead
  [429-ms]     429 with ``retry-after-ms: 1500``
  [hang]       sleeps past the client timeout    [badjson]  a body that is not JSON
  [500-always] HTTP 500 every time               [badjson-always]  never valid JSON
  [401-echo]   401 quoting the Authorization header back (as some servers do)
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _prompt_of(body: dict[str, Any]) -> str:
    if "messages" in body:
        return str(body["messages"][-1]["content"])
    return str(body.get("prompt", ""))


class FakeOpenAIServer:
    """Counts requests per prompt (``hits``); ``delay`` seconds of sleep per request.
    ``failing = True`` makes it answer HTTP 500 to everything from then on (a server of a
    fleet going bad)."""

    def __init__(self, delay: float = 0.0, hang: float = 3.0, model: str = "fake-model") -> None:
        self.delay = delay
        self.hang = hang
        self.model = model
        self.hits: Counter[str] = Counter()
        self.headers_seen: list[dict[str, str]] = []
        self.bodies: list[dict[str, Any]] = []  # every request body, as sent
        self.in_flight = 0
        self.max_in_flight = 0
        self.failing = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _send(self, code: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    body = {"object": "list", "data": [{"id": fake.model, "object": "model", "owned_by": "me"}]}
                    self._send(200, json.dumps(body).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
                fake.bodies.append(body)
                prompt = _prompt_of(body)
                with fake._lock:
                    fake.hits[prompt] += 1
                    n = fake.hits[prompt]
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    self._answer(body, prompt, n)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def _answer(self, body: dict[str, Any], prompt: str, n: int) -> None:
                if fake.delay:
                    time.sleep(fake.delay)
                if fake.failing:
                    self._send(500, b'{"error": {"message": "this server is down"}}')
                    return
                if "[500-always]" in prompt or ("[500]" in prompt and n == 1):
                    self._send(500, b'{"error": {"message": "internal error"}}')
                    return
                if "[401-echo]" in prompt:  # like servers that quote the key they refused
                    key = self.headers.get("authorization", "")
                    self._send(401, json.dumps({"error": {"message": f"bad key {key}"}}).encode())
                    return
                if "[429]" in prompt and n == 1:
                    self._send(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "1"})
                    return
                if "[429-date]" in prompt and n == 1:
                    when = formatdate(time.time() + 2, usegmt=True)
                    self._send(429, b'{"error": {"message": "slow down"}}', {"Retry-After": when})
                    return
                if "[429-ms]" in prompt and n == 1:
                    self._send(429, b'{"error": {"message": "slow down"}}', {"retry-after-ms": "1500"})
                    return
                if "[hang]" in prompt and n == 1:
                    time.sleep(fake.hang)
                if "[badjson-always]" in prompt or ("[badjson]" in prompt and n == 1):
                    self._send(200, b'{"choices": [ this is not json')
                    return
                text = f"echo: {prompt}"
                usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split()),
                         "total_tokens": len(prompt.split()) + len(text.split())}
                if "messages" in body:
                    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": text}}
                    obj = "chat.completion"
                else:
                    choice = {"index": 0, "finish_reason": "stop", "text": text, "logprobs": None}
                    obj = "text_completion"
                out = {"id": "x", "object": obj, "created": 0, "model": body.get("model"),
                       "choices": [choice], "usage": usage}
                self._send(200, json.dumps(out).encode())

        return Handler


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
