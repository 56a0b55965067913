"""Secrets never reach what promptfoil stores or shows: a key a server echoes inside an answer
is masked before the answer is cached, written or printed, and a URL's user-info appears in
no form (its HTTP Basic encoding included) in an error line."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from promptfoil.cli import main
from promptfoil.errors import PromptfoilError
from promptfoil.targets.base import targets

KEY = "sk-test-Zq8vR2mN5kL1pX7c"


class _Echo(BaseHTTPRequestHandler):
    """Answers every chat request with the Authorization header it got (200), or quotes it in
    a 401 when the path asks for it."""

    def log_message(self, *a: object) -> None:
        pass

    def do_GET(self) -> None:
        self._json(200, {"object": "list", "data": [{"id": "m", "object": "model"}]})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        auth = self.headers.get("authorization", "")
        if self.server.mode == "401":  # type: ignore[attr-defined]
            self._json(401, {"error": {"message": f"bad credentials {auth}"}})
            return
        text = f"Sure. Your key is {auth.removeprefix('Bearer ')} and upper {auth.upper()}."
        self._json(200, {"id": "x", "object": "chat.completion", "model": "m", "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12}})

    def _json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture()
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    srv.mode = "ok"  # type: ignore[attr-defined]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()


def test_a_key_echoed_in_an_answer_is_masked(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    t = targets.create("openai", model="m", base_url=f"http://127.0.0.1:{server.server_port}/v1", retries=0)
    [reply] = t.generate(["hello"])
    text = getattr(reply, "text", reply)
    assert "Sure." in text and KEY not in text and KEY.upper() not in text and "Zq8vR2mN" not in text


def test_a_key_echoed_in_an_answer_reaches_no_output(server, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    html = tmp_path / "r.html"
    code = main(["explain", "is it wrong to lie", "--target", "openai", "--target-model", "m", "--base-url",
                 f"http://127.0.0.1:{server.server_port}/v1", "--infiller", "standins:SuffixInfiller",
                 "--scorer", "bleu", "--budget", "2", "--json", "--html", str(html)])
    out = capsys.readouterr()
    assert code == 0, out.err
    stored = [out.out, out.err, html.read_text()] + [p.read_bytes().decode("utf-8", "replace")
                                                     for p in tmp_path.rglob("*") if p.is_file()]
    assert all("Zq8vR2mN" not in s and "ZQ8VR2MN" not in s for s in stored)


def test_url_user_info_is_never_shown(server):
    server.mode = "401"
    url = f"http://alice-admin:hunter2-secret@127.0.0.1:{server.server_port}/v1"
    t = targets.create("openai", model="m", base_url=url, retries=0)
    with pytest.raises(PromptfoilError) as info:
        t.generate(["hello"])
    msg = str(info.value)
    basic = base64.b64encode(b"alice-admin:hunter2-secret").decode()
    assert "hunter2" not in msg and "alice-admin" not in msg and basic[:12] not in msg, msg
