"""Targets say what they are (``Capabilities``: in-process, thread-safe, endpoint) and chat
backends come from a registry: no module recognises a target by its name any more."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from promptfoil import Explainer
from promptfoil.backends.chat_factory import chat_backend, chat_backends
from promptfoil.config import Config
from promptfoil.errors import ConfigError
from promptfoil.runs.engines.shared import check_target, served
from promptfoil.targets.base import BaseTarget, Capabilities, capabilities_of

SRC = Path(__file__).resolve().parents[2] / "src" / "promptfoil"
NAMES = ("openai", "smollm2", "gguf", "hf")


class InProcessPlugin(BaseTarget):
    """A plugin target whose model runs in this process (known to no list of names)."""

    name = "my-local-model"
    capabilities = Capabilities(in_process=True)

    def _generate_one(self, prompt: str) -> str:
        return prompt


class ServedPlugin(BaseTarget):
    name = "my-server"
    capabilities = Capabilities(thread_safe=True)

    def _generate_one(self, prompt: str) -> str:
        return prompt


def test_builtin_targets_declare_their_capabilities():
    assert capabilities_of("smollm2") == capabilities_of("gguf") == Capabilities(in_process=True)
    assert capabilities_of("hf").in_process
    assert capabilities_of("openai") == Capabilities(thread_safe=True, endpoint=True)
    assert capabilities_of("no-such-target") == Capabilities()


def test_parallel_is_refused_by_capability_not_by_name():
    with pytest.raises(ConfigError, match="runs its model in this process"):
        check_target(Config().with_options(target=InProcessPlugin()), 2)
    check_target(Config().with_options(target=ServedPlugin()), 2)  # no error
    check_target(Config().with_options(target=InProcessPlugin()), 1)
    assert served(ServedPlugin()) and not served(InProcessPlugin())


def test_no_module_recognises_a_target_by_name():
    """No ``== "openai"`` and no list of target names outside the targets' own registrations."""
    bad = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                    isinstance(c, ast.Constant) and c.value in NAMES for c in node.comparators):
                bad.append(f"{path.relative_to(SRC)}:{node.lineno}")
            if isinstance(node, (ast.Set, ast.Tuple, ast.List)) and sum(
                    isinstance(e, ast.Constant) and e.value in NAMES for e in node.elts) >= 2:
                bad.append(f"{path.relative_to(SRC)}:{node.lineno} (a list of target names)")
    assert bad == []


def test_chat_backends_are_a_registry():
    assert {"local", "endpoint", "fleet"} <= set(chat_backends.names())
    made = chat_backend(model="no", backend="standins:LabelChat")
    assert type(made).__name__ == "LabelChat" and made.label == "no"
    with pytest.raises(ConfigError, match="unknown chat_backend 'nope'"):
        chat_backend(backend="nope")


def test_a_component_talks_to_a_registered_backend(tmp_path):
    ex = Explainer(target=ServedPlugin(), infiller="llm", infiller_options={"backend": "standins:LabelChat"},
                   scorer="bleu", cache=False)
    assert type(ex.infiller.backend).__name__ == "LabelChat"
