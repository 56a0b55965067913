"""Prompt stage: everything that turns a user's input into a space the search can walk.

``segment`` cuts a text into units (lossless, Unicode-aware, inside one sentence),
``spans`` resolves protected and edit-only texts to character spans, ``checks`` refuses
input no search can use, ``conversation`` parses OpenAI-style messages and lays their
editable turns out as one text, and ``prepare`` composes these for :class:`Explainer`.
"""
