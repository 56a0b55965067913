"""Persistent SQLite response cache keyed by target identity, generation settings and prompt."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..backends.model_store import cache_root
from ..errors import PromptfoilError
from ..types import Reply


#: Columns every promptfoil cache has had; a ``responses`` table without them is someone else's.
REQUIRED_COLUMNS = frozenset({"key", "target", "settings", "prompt", "response"})


def default_cache_path() -> Path:
    """``$PROMPTFOIL_CACHE_DIR`` or ``~/.cache/promptfoil``, file ``responses.sqlite``."""
    return cache_root() / "responses.sqlite"


def cache_key(identity: str, settings: dict[str, Any], prompt: str) -> str:
    blob = json.dumps([identity, settings, prompt], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Answers already paid for. A hit is free: it never counts against a budget.

    Writes are committed at once, so an interrupted run keeps everything it was answered.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_cache_path()
        if self.path.is_dir():
            raise PromptfoilError(f"the response cache {self.path} is a folder; give a file path (or --no-cache)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            self._check_file()
            # One connection at a time creates or upgrades the table: workers opening a new file
            # together would otherwise both add a missing column ("duplicate column name").
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, target TEXT, "
                "settings TEXT, prompt TEXT, response TEXT, created REAL)"
            )
            cols = {row[1] for row in self._db.execute("PRAGMA table_info(responses)")}
            if "truncated" not in cols:  # files written before responses were marked
                self._db.execute("ALTER TABLE responses ADD COLUMN truncated INTEGER DEFAULT 0")
            if "tokens" not in cols:
                self._db.execute("ALTER TABLE responses ADD COLUMN tokens INTEGER DEFAULT 0")
            self._db.commit()
        except PromptfoilError:
            raise
        except (OSError, sqlite3.Error) as exc:
            raise self._broken(exc) from None
        self._lock = threading.Lock()

    def _broken(self, exc: BaseException) -> PromptfoilError:
        return PromptfoilError(
            f"the response cache {self.path} cannot be used ({exc}); move it away or delete it, "
            "or give another --cache file, or --no-cache"
        )

    def _check_file(self) -> None:
        """Refuse a damaged file and another program's database before anything is written."""
        ok = self._db.execute("PRAGMA quick_check(1)").fetchone()
        if not ok or ok[0] != "ok":
            raise PromptfoilError(
                f"the response cache {self.path} is damaged ({ok[0] if ok else 'no answer'}); "
                "delete it (it holds only answers that can be asked again), or use --no-cache"
            )
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return
        cols = {row[1] for row in self._db.execute("PRAGMA table_info(responses)")} if "responses" in tables else set()
        if not REQUIRED_COLUMNS <= cols:
            self._db.close()
            raise PromptfoilError(
                f"{self.path} is not a promptfoil response cache (it is another program's SQLite database); "
                "give another --cache file, or --no-cache"
            )

    def get_many(self, identity: str, settings: dict[str, Any], prompts: Sequence[str]) -> list[Reply | None]:
        keys = [cache_key(identity, settings, p) for p in prompts]
        found: dict[str, Reply] = {}
        with self._lock:
            try:
                for i in range(0, len(keys), 500):
                    chunk = keys[i : i + 500]
                    rows = self._db.execute(
                        f"SELECT key, response, truncated FROM responses WHERE key IN ({','.join('?' * len(chunk))})",
                        chunk,
                    ).fetchall()
                    # A hit costs no tokens: the reply is served with tokens=0.
                    found.update((k, Reply(r, 0, bool(t))) for k, r, t in rows if isinstance(r, str))
            except sqlite3.Error as exc:
                raise self._broken(exc) from None
        return [found.get(k) for k in keys]

    def put_many(
        self, identity: str, settings: dict[str, Any], pairs: Sequence[tuple[str, Reply | str]]
    ) -> None:
        now = time.time()
        rows = []
        for p, r in pairs:
            reply = r if isinstance(r, Reply) else Reply(r)
            rows.append((cache_key(identity, settings, p), identity, json.dumps(settings, sort_keys=True), p,
                         reply.text, now, int(reply.truncated), reply.tokens))
        with self._lock:
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO responses (key, target, settings, prompt, response, created, truncated, tokens) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._db.commit()
            except sqlite3.Error as exc:
                raise self._broken(exc) from None

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
