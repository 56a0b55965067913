"""English word classes the search and the checks share: which words carry grammar and which
set a question's stance. Plain sets, no model: cheap enough for every candidate."""

from __future__ import annotations

#: English words that carry grammar rather than content. Negations, modals and quantifiers
#: are left out on purpose: editing them is how an answer most often flips.
FUNCTION_WORDS = frozenset("""
a an the this that these those it its it's i me my mine we us our you your he him his she her
they them their theirs one ones to of in on at by for from with about into onto over under up
down out off as than then so and or but if because while when where which who whom whose what
is am are was were be been being do does did doing have has had having 's 're 've 'd 'll
""".split())
#: Words that set a question's stance rather than its topic: modals, auxiliaries that open a
#: question, negations. Swapping one ("Should I ...?" -> "Can I ...?") keeps what is asked about.
STANCE_WORDS = frozenset("""
should shall can could would will may might must ought need is are was were am do does did
not no never cannot can't won't don't doesn't didn't isn't aren't wasn't weren't shouldn't
wouldn't couldn't mustn't
""".split())
#: Words that say how much or how many: a detail of degree ("*any* candidate" → "*the*
#: candidate", "*some* money" → "*all* money"), neither content nor plain grammar.
QUANTIFIERS = frozenset("""
any some all every each no none many much few fewer more most less least several both either
neither enough
""".split())

__all__ = ["FUNCTION_WORDS", "QUANTIFIERS", "STANCE_WORDS"]
