"""The package's shape: the import graph of ``src/promptfoil`` has no circle, every import
points down the pipeline's layers, and only the core sits at the top of the package.

Imports are read from the source (``ast``), so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "promptfoil"

#: Lowest first. A module may import its own layer (without a circle) and the layers below;
#: the stages of one layer (infill, targets, scorers) never import each other.
LAYERS: list[set[str]] = [
    {"errors", "types", "registry", "codec", "settings"},
    {"backends"},
    {"prompt"},
    {"infill", "targets", "scorers"},
    {"search"},
    {"config", "build", "plugins", "explainer", ""},
    {"runs"},
    {"uses"},
    {"report"},
    {"cli"},
]
SIBLING_STAGES = {"infill", "targets", "scorers"}
CORE = {"__init__", "explainer", "build", "config", "registry", "plugins", "types", "errors"}


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(mod: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package that ``mod`` imports, with the packages (``__init__``) that
    importing them runs first."""
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("promptfoil"):
                continue
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("promptfoil"))
    edges = set()
    for t in found:
        parts = t.split(".")
        for k in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b, a.b.c
            m = ".".join(parts[:k])
            if m in modules and m != mod and not mod.startswith(m + "."):
                edges.add(m)
    return edges


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(m, p, modules) for m, p in modules.items()}


def _layer(mod: str) -> tuple[int, str]:
    part = mod.split(".")[1] if "." in mod else ""
    for i, names in enumerate(LAYERS):
        if part in names:
            return i, part
    raise AssertionError(f"{mod} is in no layer; add its package to LAYERS")


def test_no_import_circle() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert circles == []


def test_imports_point_down_the_layers() -> None:
    upward = []
    for mod, targets in _graph().items():
        here, part = _layer(mod)
        for t in targets:
            there, other = _layer(t)
            if there > here:
                upward.append(f"{mod} -> {t}")
            elif there == here and part in SIBLING_STAGES and other in SIBLING_STAGES and part != other:
                upward.append(f"{mod} -> {t} (sibling stage)")
    assert sorted(upward) == []


def test_search_reaches_no_target_or_model() -> None:
    bad = [f"{m} -> {t}" for m, ts in _graph().items() if m.startswith("promptfoil.search")
           for t in ts if t.split(".")[1] in ("targets", "backends")]
    assert bad == []


def test_only_the_core_sits_at_the_top() -> None:
    top = {p.stem for p in PKG.glob("*.py")}
    assert top <= CORE, f"loose modules: {sorted(top - CORE)}"


@pytest.mark.parametrize("package", sorted(p.parent.name for p in PKG.glob("*/__init__.py")))
def test_every_package_says_what_it_is(package: str) -> None:
    doc = ast.get_docstring(ast.parse((PKG / package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc.split()) >= 8, f"promptfoil.{package} needs a docstring saying what it holds"


#: Modules that parse JSON that is not a prompts, results or questions file, and why.
JSON_OUTSIDE_THE_CODEC = {
    "promptfoil.scorers.maxims": "a judge model's JSON answer and the shipped rubric files",
    "promptfoil.uses.doctor": "a server's answer to GET /models",
}


def _json_parses(path: Path) -> list[int]:
    """Lines of ``path`` that call ``json.loads``/``json.load`` (or import either by name)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("loads", "load") and \
                isinstance(node.value, ast.Name) and node.value.id == "json":
            found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "json" and \
                any(a.name in ("loads", "load", "JSONDecoder") for a in node.names):
            found.append(node.lineno)
    return found


def test_no_jsonl_is_parsed_outside_the_codec() -> None:
    """Every JSONL (and JSON record) reader goes through ``promptfoil.codec`` (bounded depth
    and line size, errors naming file and line): no other module calls ``json.loads``."""
    bad = [f"{mod}:{line}" for mod, path in _modules().items()
           if not mod.startswith("promptfoil.codec") and mod not in JSON_OUTSIDE_THE_CODEC
           for line in _json_parses(path)]
    assert bad == []


def test_the_codec_check_sees_its_own_callers() -> None:
    """The layout test above can fail: it finds the codec's own parse."""
    assert _json_parses(PKG / "codec" / "jsonl.py")
