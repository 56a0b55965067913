"""Imports every built-in component so that the registries are complete.

Each module registers itself on import and loads its model only when first used.
"""

from __future__ import annotations

from .infill import lm as _lm_infiller  # noqa: F401
from .scorers import bleu as _bleu, semantic as _semantic  # noqa: F401
from .targets import llamacpp as _llamacpp  # noqa: F401
from .infill import bart as _bart, mlm as _mlm, t5 as _t5  # noqa: F401
from .scorers import contradiction as _contradiction, preference as _preference  # noqa: F401
from .targets import hf as _hf_target  # noqa: F401
from .infill import llm as _llm_infiller  # noqa: F401
from .scorers import judge as _judge, maxims as _maxims, policy as _policy  # noqa: F401
from .scorers import auto as _auto, verdict as _verdict  # noqa: F401
from .targets import openai_compat as _openai_target  # noqa: F401
