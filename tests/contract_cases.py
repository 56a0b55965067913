"""How the contract tests (tests/{targets,infill,scorers}/test_contract.py) build every
registered component: as the command line does, with what this machine has offline.

A case is the command-line flags of one component; ``flags(request)`` may start what the
component talks to (the fake OpenAI-compatible server of testkit/openai_fakes.py) or build what
it loads (the tiny Hugging Face models of testkit/hf_tiny.py, through the ``tiny_hf`` fixture).
The flags are parsed into a Config by the CLI's own parser and built by ``promptfoil.build``.
Cases on the embedded SmolLM2 GGUF or MiniLM are marked slow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import requires_models

from promptfoil.build import build_infiller, build_scorer, build_target
from promptfoil.cli import build_parser
from promptfoil.cli.options import config_from_args
from promptfoil.registry import Registry

REAL_MODEL = (pytest.mark.slow, requires_models)


@dataclass(frozen=True)
class Case:
    """One way to build the component ``name`` offline (``id`` names the test)."""

    name: str
    id: str
    flags: Callable[[pytest.FixtureRequest], list[str]]
    marks: tuple[Any, ...] = field(default=())


def fake_server(request: pytest.FixtureRequest) -> str:
    """The base URL of a fake OpenAI-compatible server on loopback, stopped after the test."""
    pytest.importorskip("openai")
    from openai_fakes import FakeOpenAIServer

    server = FakeOpenAIServer().__enter__()
    request.addfinalizer(lambda: server.__exit__(None, None, None))
    return server.base_url


def tiny(request: pytest.FixtureRequest, kind: str) -> str:
    """The folder of a tiny Hugging Face model (built once per session)."""
    return str(request.getfixturevalue("tiny_hf")(kind))


def smollm2_file(request: pytest.FixtureRequest) -> str:
    """The embedded SmolLM2 GGUF file, as a path any ``gguf`` user would give."""
    from promptfoil.backends.embedded import smollm2_gguf

    return str(smollm2_gguf())


_BUILDERS = {"target": build_target, "infiller": build_infiller, "scorer": build_scorer}


def build(kind: str, flags: list[str]) -> Any:
    """The component ``promptfoil explain x FLAGS`` would use: parsed by the CLI, built from the Config."""
    cfg = config_from_args(build_parser().parse_args(["explain", "x", *flags]))
    return _BUILDERS[kind](cfg)


def params(registry: Registry[Any], cases: list[Case]) -> list[Any]:
    """One test parameter per case of every registered name; a registered name without a case
    gets a parameter too (the test fails it when it is built in, skips it for a plugin)."""
    out = []
    for name in registry.names():
        mine = [c for c in cases if c.name == name]
        out += [pytest.param(c, id=c.id, marks=c.marks) for c in mine] or [pytest.param(Case(name, name, None), id=name)]
    return out


def case_flags(registry: Registry[Any], case: Case, request: pytest.FixtureRequest) -> list[str]:
    """The flags of ``case``; a name with no case fails (built in) or is skipped (a plugin)."""
    if case.flags is None:
        source = registry.entry(case.name).source
        if source == "built-in":
            pytest.fail(f"built-in {registry.kind} '{case.name}' has no contract case: add one to its test_contract.py")
        pytest.skip(f"{registry.kind} '{case.name}' is a plugin ({source}); this suite knows no offline way to build it")
    return case.flags(request)
