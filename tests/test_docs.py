"""The manual (``docs/``, ``mkdocs.yml``) builds strictly and offline: a broken link, a missing
anchor or page, or a snippet naming a missing file fails the build, and so this test. The
pages generated at build time (the result schema, the benchmark results) are checked against
their sources."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if importlib.util.find_spec("mkdocs") is None and not os.environ.get("CI"):
        pytest.skip("mkdocs not installed (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", HF_HUB_OFFLINE="1", no_proxy="*", http_proxy="http://127.0.0.1:9",
               https_proxy="http://127.0.0.1:9")  # any attempt to fetch fails: the build must not need the network
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def test_every_nav_page_is_built(site):
    nav = re.findall(r":\s*([\w/-]+)\.md\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    assert len(nav) >= 14
    for page in nav:
        built = site / ("index.html" if page == "index" else f"{page.removesuffix('/index')}/index.html")
        assert built.exists(), page


def test_the_schema_page_lists_every_field_of_the_json_schema(site):
    schema = json.loads((ROOT / "src/promptfoil/schema/explanation.json").read_text(encoding="utf-8"))
    html = (site / "schema" / "index.html").read_text(encoding="utf-8")
    for name in schema["properties"]:
        assert f"<td><code>{name}</code></td>" in html, name
    for name in schema["$defs"]:
        assert f">{name}<" in html or f'id="{name}"' in html, name


def test_every_benchmark_result_has_a_page(site):
    for path in sorted(ROOT.glob("benchmarks/*/results/*.md")) + sorted(ROOT.glob("benchmarks/*/results/*.txt")):
        purpose = path.parent.parent.name
        assert (site / "results" / purpose / path.stem / "index.html").exists(), path


def test_the_api_page_is_generated_from_docstrings(site):
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    import promptfoil

    for obj in (promptfoil.Explainer, promptfoil.ResponseCache):
        first = obj.__doc__.strip().splitlines()[0].strip()
        assert first in html, obj.__name__


def test_the_site_fetches_nothing_from_elsewhere(site):
    """No page loads a script or stylesheet from another host (a manual read offline works)."""
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://', html), page
