"""Several processes (Ray workers, --parallel jobs) opening one new response cache at once:
exactly one creates and upgrades the table, none fails with "duplicate column name"."""

from __future__ import annotations

import multiprocessing as mp

from promptfoil.targets.cache import ResponseCache


def _open(path: str) -> None:
    ResponseCache(path)


def test_processes_opening_a_new_cache_together_all_succeed(tmp_path):
    ctx = mp.get_context("fork")
    for i in range(30):
        path = str(tmp_path / f"c{i}.sqlite")
        procs = [ctx.Process(target=_open, args=(path,)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0], f"round {i}"
        cols = {r[1] for r in ResponseCache(path)._db.execute("PRAGMA table_info(responses)")}
        assert {"truncated", "tokens"} <= cols
