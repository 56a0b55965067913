"""A loopback HTTP server that misbehaves on purpose, for the tests of the ``openai`` target
against hostile servers (tests/targets/test_openai_hostile_servers.py).

Raw sockets, so that it can do what a well-behaved framework would not: send its answer one
byte at a time, send far more than was asked for, or answer 200 with a body that is not what
an OpenAI-compatible server sends. It is a plumbing fake: it never stands in for a model.

``mode`` picks the behaviour for every POST (GET /models lists one model):
  ok            a normal chat/completions answer "echo: <prompt>"
  drip          headers, then the body one byte every ``drip`` seconds
  drip-headers  the status line and headers one byte every ``drip`` seconds
  huge          a valid answer whose text is ``size`` bytes long
  huge-stream   the same without Content-Length: the body runs until the connection closes
  empty-choices ``{"choices": []}``
  html          an HTML error page with status 200
  null-content  a chat answer whose message content is null
  echo-key      HTTP 401 quoting the Authorization header back, altered by ``key_echo``
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Callable


def _answer(prompt: str, text: str | None, chat: bool) -> dict[str, Any]:
    choice: dict[str, Any] = (
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        if chat else {"index": 0, "finish_reason": "stop", "text": text}
    )
    return {"id": "x", "object": "chat.completion" if chat else "text_completion", "created": 0,
            "model": "fake-model", "choices": [choice],
            "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}}


class HostileServer:
    """Serves on 127.0.0.1; ``requests`` holds (path, headers, body) of each request."""

    def __init__(self, mode: str = "ok", drip: float = 0.5, size: int = 5_000_000,
                 key_echo: Callable[[str], str] = lambda k: k) -> None:
        self.mode = mode
        self.drip = drip
        self.size = size
        self.key_echo = key_echo
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        length = int(headers.get("content-length", 0))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return method, path, headers, body

    def _handle(self, conn: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                req = self._read_request(conn)
                if req is None:
                    return
                method, path, headers, raw = req
                body = json.loads(raw or b"{}") if raw else {}
                self.requests.append((path, headers, body))
                if method == "GET":
                    self._send(conn, 200, json.dumps({"object": "list", "data": [{"id": "fake-model", "object": "model"}]}).encode())
                    continue
                self._respond(conn, path, headers, body)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _respond(self, conn: socket.socket, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        chat = "messages" in body
        prompt = str(body["messages"][-1]["content"]) if chat else str(body.get("prompt", ""))
        mode = self.mode
        if mode in ("huge", "huge-stream"):
            payload = json.dumps(_answer(prompt, "x" * self.size, chat)).encode()
        elif mode == "empty-choices":
            payload = b'{"id": "x", "object": "chat.completion", "choices": []}'
        elif mode == "html":
            self._send(conn, 200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
            return
        elif mode == "null-content":
            payload = json.dumps(_answer(prompt, None, chat)).encode()
        elif mode == "echo-key":
            key = self.key_echo(headers.get("authorization", ""))
            self._send(conn, 401, json.dumps({"error": {"message": f"invalid key {key}"}}).encode())
            return
        else:
            payload = json.dumps(_answer(prompt, f"echo: {prompt}", chat)).encode()
        if mode == "huge-stream":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
            for i in range(0, len(payload), 65536):
                conn.sendall(payload[i : i + 65536])
            conn.close()
        elif mode == "drip-headers":
            self._send(conn, 200, payload, drip_all=True)
        elif mode == "drip":
            self._send(conn, 200, payload, drip_body=True)
        else:
            self._send(conn, 200, payload)

    def _send(self, conn: socket.socket, code: int, payload: bytes, ctype: str = "application/json",
              drip_all: bool = False, drip_body: bool = False) -> None:
        head = (f"HTTP/1.1 {code} X\r\nContent-Type: {ctype}\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
        if drip_all:
            data = head + payload
            for i in range(len(data)):
                if self._stop.is_set():
                    return
                conn.sendall(data[i : i + 1])
                time.sleep(self.drip)
            return
        conn.sendall(head)
        if drip_body:
            for i in range(len(payload)):
                if self._stop.is_set():
                    return
                conn.sendall(payload[i : i + 1])
                time.sleep(self.drip)
            return
        conn.sendall(payload)
