"""The paper's experiments on prompt sets: Tables 1-5 (``tables``) and Figure 3 (``calls_vs_length``).

Both write every explanation to resumable JSONL runs first (``promptfoil.runs``), then
aggregate them, so an interrupted experiment continues where it stopped.
"""
