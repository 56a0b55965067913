"""The CLI's side of the output rule (:mod:`promptfoil.runs.outputs`): every writer of every
command checks its files there, before any model is loaded or asked."""

from __future__ import annotations

from ..runs.outputs import KINDS, cache_files, check_output, check_output_folder, refuse_inputs, same_file

FORCE_HELP = "replace an existing output file even when it is not of the kind this command writes"

__all__ = ["FORCE_HELP", "KINDS", "cache_files", "check_output", "check_output_folder", "refuse_inputs", "same_file"]
