"""How fast the HTML report opens: 100 items with 40-candidate traces, in headless Chromium.

Builds a synthetic results file (``testkit/trace_fakes.py``, no model), renders it with
``write_html`` and opens it through the DevTools protocol (``testkit/browser.py``), several
times. Printed per run: the wall time from ``Page.navigate`` to the load event, the page's
own navigation timing (response end, DOMContentLoaded, load event end), the time until the
first item's explorer is drawn, and the script time to draw one explorer (median and max
over all of them, drawn by scrolling through the whole page). The target is an open (load
event) under 2 s. ``--no-trace`` drops the traces: the same report without the explorer.

    .venv/bin/python benchmarks/perf/report_open.py [--items 100] [--candidates 40] [--runs 3] [--no-trace]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared helper
import common  # noqa: E402

common.use_testkit()
import browser  # noqa: E402
import trace_fakes  # noqa: E402

from promptfoil.report.html import write_html  # noqa: E402

DRAWN = "document.querySelectorAll('.explorer[data-ready]').length"
SCROLL_ALL = """(async () => {
  const t0 = performance.now(), roots = document.querySelectorAll('.explorer[data-trace]');
  for (const r of roots) {
    r.scrollIntoView();
    await new Promise(ok => requestAnimationFrame(() => setTimeout(ok, 0)));
  }
  return [performance.now() - t0, document.querySelectorAll('.explorer[data-ready]').length];
})()"""


def build(folder: Path, items: int, candidates: int, trace: bool = True) -> tuple[Path, float]:
    records = [trace_fakes.record(f"item-{i}", n=candidates, seed=i) for i in range(items)]
    if not trace:
        for r in records:
            r.pop("trace")
    t0 = time.perf_counter()
    path = write_html(records, folder / "report.html", title="benchmark")
    return path, time.perf_counter() - t0


def open_once(path: Path) -> dict[str, float]:
    with browser.Browser() as b:
        t0 = time.perf_counter()
        b.open(path.resolve().as_uri(), settle=0.0)
        wall = time.perf_counter() - t0
        nav = b.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
        nav = json.loads(nav)
        deadline = time.time() + 10
        has = b.evaluate("document.querySelector('.explorer[data-trace]') !== null")
        while has and not b.evaluate(DRAWN) and time.time() < deadline:
            time.sleep(0.01)
        first = b.evaluate("performance.now()")
        r = b.send("Runtime.evaluate", {"expression": SCROLL_ALL, "awaitPromise": True, "returnByValue": True})
        drawn = r["result"]["value"][1]
        own = b.evaluate("performance.getEntriesByName('promptfoil-explorer').map(m => m.duration)") or [0.0]
        errors = b.console_errors()
    if errors:
        raise SystemExit(f"console errors: {errors[:3]}")
    return {"wall_s": wall, "response_end_ms": nav["responseEnd"], "dom_ready_ms": nav["domContentLoadedEventEnd"],
            "load_ms": nav["loadEventEnd"], "first_drawn_ms": first, "drawn": drawn,
            "draw_one_ms": statistics.median(own), "draw_max_ms": max(own)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--candidates", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-trace", action="store_true", help="records without traces (no explorer)")
    args = ap.parse_args()
    if not browser.available():
        raise SystemExit("chromium or websocket-client missing (make browser)")
    with tempfile.TemporaryDirectory() as tmp:
        path, render_s = build(Path(tmp), args.items, args.candidates, trace=not args.no_trace)
        size = path.stat().st_size
        print(f"{args.items} items x {args.candidates} candidates: {size / 1e6:.2f} MB, rendered in {render_s:.2f} s")
        runs = [open_once(path) for _ in range(args.runs)]
    for k in ("wall_s", "response_end_ms", "dom_ready_ms", "load_ms", "first_drawn_ms", "draw_one_ms", "draw_max_ms"):
        vals = [r[k] for r in runs]
        print(f"  {k:16s} median {statistics.median(vals):8.1f}   runs {' '.join(f'{v:.1f}' for v in vals)}")
    print(f"  explorers drawn after scrolling through the page: {runs[-1]['drawn']}/{0 if args.no_trace else args.items}")
    worst = max(r["wall_s"] for r in runs)
    print(f"open (navigate -> load event), worst of {args.runs}: {worst:.2f} s "
          f"({'under' if worst < 2 else 'OVER'} the 2 s target, ratio {worst / 2:.2f})")


if __name__ == "__main__":
    main()
