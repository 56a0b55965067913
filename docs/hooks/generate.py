"""MkDocs hook: the pages generated from the repository at build time, so they cannot go stale.

* ``<!-- generated:schema -->`` in a page becomes the tables of the result's JSON Schema
  (``src/promptfoil/schema/explanation.json``): every field with its type and whether it is
  always present, then each nested object.
* ``results/…`` pages: every Markdown or text result file under ``benchmarks/*/results/``, as
  its script wrote it, with an index page ``results/index.md``.

Nothing is fetched: the build stays offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "src" / "promptfoil" / "schema" / "explanation.json"
BENCH = ROOT / "benchmarks"
PURPOSES = {"perf": "Performance", "quality": "Quality", "studies": "Studies (defaults)"}
MARKER = "<!-- generated:schema -->"


def type_of(spec: dict[str, Any]) -> str:
    """A JSON Schema type as a short text: ``string | null``, ``array of edit``, ``one of …``."""
    if "$ref" in spec:
        return f"[{spec['$ref'].rsplit('/', 1)[-1]}](#{spec['$ref'].rsplit('/', 1)[-1]})"
    if "enum" in spec:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in spec["enum"])
    if "oneOf" in spec or "anyOf" in spec:
        return " or ".join(type_of(s) for s in spec.get("oneOf", spec.get("anyOf", [])))
    kind = spec.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    out = []
    for k in kinds:
        if k == "array" and "items" in spec:
            out.append(f"array of {type_of(spec['items'])}")
        else:
            out.append(k)
    text = " \\| ".join(out)
    bounds = [f"≥ {spec['minimum']}" for _ in [0] if "minimum" in spec] + \
             [f"≤ {spec['maximum']}" for _ in [0] if "maximum" in spec]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def fields_table(spec: dict[str, Any]) -> list[str]:
    required = set(spec.get("required", []))
    rows = ["| field | type | always present |", "|---|---|---|"]
    for name, sub in spec.get("properties", {}).items():
        rows.append(f"| `{name}` | {type_of(sub)} | {'yes' if name in required else 'no'} |")
    return rows


def schema_markdown() -> str:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    out = [f"Generated from `src/promptfoil/schema/explanation.json` ({schema.get('title', '')}).", "",
           "### Top-level fields", "", *fields_table(schema), ""]
    nested = {f"`{n}`": s for n, s in schema.get("properties", {}).items() if s.get("type") == "object"}
    nested |= {f"`{n}` items": s["items"] for n, s in schema.get("properties", {}).items()
               if s.get("type") == "array" and isinstance(s.get("items"), dict) and s["items"].get("type") == "object"}
    for name, sub in schema.get("$defs", {}).items():
        out += [f"### {name}", ""]
        if sub.get("type") == "object" or "properties" in sub:
            out += [*fields_table(sub), ""]
        else:
            out += [f"Type: {type_of(sub)}", ""]
    for name, sub in nested.items():
        if sub.get("properties"):
            out += [f"### {name}", "", *fields_table(sub), ""]
    return "\n".join(out)


def result_files() -> list[tuple[str, Path]]:
    """(purpose, file) for every Markdown or text result, in a stable order."""
    return [(p, f) for p in PURPOSES for f in sorted((BENCH / p / "results").glob("*")) if f.suffix in (".md", ".txt")]


def result_page(purpose: str, path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT).as_posix()
    note = f"*Result file `{rel}`, as its benchmark wrote it (the script: `benchmarks/README.md`).*\n\n"
    if path.suffix == ".txt":
        return f"# {path.stem}\n\n{note}```\n{text.rstrip()}\n```\n"
    if text.lstrip().startswith("# "):
        head, _, rest = text.lstrip().partition("\n")
        return f"{head}\n\n{note}{rest}"
    return f"# {path.stem}\n\n{note}{text}"


def on_files(files: Files, config: Any) -> Files:
    index = ["# Benchmark results", "",
             "Every result file the benchmarks wrote, as they wrote it. `benchmarks/README.md` names the "
             "script and command behind each; [Performance](../performance.md) and "
             "[Contrasts worth reading](../quality.md) say what they show.", ""]
    for purpose, title in PURPOSES.items():
        index += [f"## {title}", ""]
        for p, path in result_files():
            if p != purpose:
                continue
            uri = f"results/{purpose}/{path.stem}.md"
            files.append(File.generated(config, uri, content=result_page(purpose, path)))
            index.append(f"- [{path.name}]({purpose}/{path.stem}.md)")
        index.append("")
    files.append(File.generated(config, "results/index.md", content="\n".join(index)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, schema_markdown())
    return markdown
