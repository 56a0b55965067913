"""The records codec: the one JSON/JSONL reader (bounded nesting depth and line size, errors
that name file and line), the one check of what a results record may hold, and the
vocabulary of record fields. Every reader of prompts, results or questions files goes
through here; the package imports nothing of promptfoil but its errors.
"""
