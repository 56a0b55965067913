"""The benchmarks' shape: scripts sorted by purpose, each listed in ``benchmarks/README.md`` with
a command that runs it, each answering ``--help``; none imports from ``tests/``; no script
writes into the README; the result files the index names exist."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
PURPOSES = ("perf", "quality", "studies")
INDEX = (BENCH / "README.md").read_text(encoding="utf-8")
TEST_MODULES = {p.stem for p in (ROOT / "tests").glob("*.py")}


def _is_script(path: Path) -> bool:
    return '__name__ == "__main__"' in path.read_text(encoding="utf-8")


SCRIPTS = sorted(p for purpose in PURPOSES for p in (BENCH / purpose).glob("*.py") if _is_script(p))
ALL_PY = sorted(BENCH.rglob("*.py"))


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def test_only_the_shared_helper_sits_at_the_top():
    assert [p.name for p in BENCH.glob("*.py")] == ["common.py"]
    assert SCRIPTS, "no benchmark scripts found"


@pytest.mark.parametrize("script", SCRIPTS, ids=_rel)
def test_every_script_is_in_the_index_with_a_command(script):
    rel = _rel(script)
    assert f"`{script.name}`" in INDEX, f"{rel} is not listed in benchmarks/README.md"
    assert f"python {rel}" in INDEX, f"benchmarks/README.md gives no command running {rel}"


@pytest.mark.parametrize("path", ALL_PY, ids=_rel)
def test_no_benchmark_imports_from_tests_or_writes_the_readme(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r'/ "tests"\)\)', text), f"{_rel(path)} puts tests/ on sys.path"
    imported = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.add(node.module.split(".")[0])
    assert not imported & TEST_MODULES, f"{_rel(path)} imports test helpers {imported & TEST_MODULES}"
    assert "update_readme" not in text and "README.md\").write" not in text


def test_the_result_files_the_index_names_exist():
    """Rows whose script is here (a row may be written before its script lands) name result files
    that exist."""
    named = set()
    for row in INDEX.splitlines():
        script = re.match(r"\| `(\w+\.py)`", row)
        if script and any((BENCH / p / script.group(1)).exists() for p in PURPOSES):
            named |= set(re.findall(r"`((?:perf|quality|studies)/results/[^`\s]+)`", row))
    assert named
    for rel in named:
        path = BENCH / rel
        assert path.exists() or path.with_suffix("").exists(), f"benchmarks/README.md names a missing {rel}"


@pytest.mark.parametrize("script", SCRIPTS, ids=_rel)
def test_every_script_answers_help(script):
    proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "usage:" in proc.stdout
