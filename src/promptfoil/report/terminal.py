"""Terminal rendering: the edited words in matching colours in both prompts, as in the paper."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..types import Contrast, Edit, Explanation
from ..search.goal import Goal
from .visible import visible_all
from .diff import PALETTE, contrast_spans, response_diff
from .heat import pieces as heat_pieces, summary_line as heat_line
from .lines import judge_summary, policy_line, scorer_label, verdict_line

def coloured_prompts(ex: Explanation, other: Contrast | None = None) -> tuple[Text, Text]:
    """The original and contrast prompts with edit ``i`` in colour ``i`` in both
    (``other``: one of the further contrasts instead of the first)."""
    edits = tuple(sorted((other.edits if other else ex.edits), key=lambda e: e.start))
    original = Text(ex.prompt)
    contrast = Text((other.prompt if other else ex.contrast_prompt) or "")
    for i, (e, (s, t)) in enumerate(zip(edits, contrast_spans(edits))):
        style = PALETTE[i % len(PALETTE)]
        original.stylize(style + " underline", e.start, e.end)
        contrast.stylize(style + " underline", s, t)
    return original, contrast


def _marked(pieces: list[tuple[str, bool]], style: str) -> Text:
    """Response text with the words that differ from the other response in ``style``."""
    return Text.assemble(*((t, style) if changed else t for t, changed in pieces))


def _turn_text(pieces: list[tuple[str, int | None]]) -> Text:
    return Text.assemble(*((t, PALETTE[c % len(PALETTE)] + " underline") if c is not None else t for t, c in pieces))


def conversation_panels(ex: Explanation) -> tuple[Panel, Panel | None]:
    """The conversation as turns (unchanged ones folded to a line) and the changed turns of
    the contrast, with edit ``i`` in colour ``i`` in both."""
    from .turns import fold, turn_views

    views = turn_views({
        "conversation": list(ex.conversation or ()), "contrast_conversation": list(ex.contrast_conversation or ()),
        "edited_turns": list(ex.edited_turns or ()), "edits": [asdict(e) for e in ex.edits],
    }) or []
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for v in views:
        if v.changed or (v.selected and not ex.edits):
            grid.add_row(v.role, _turn_text(v.pieces))
        else:
            grid.add_row(Text(v.role, style="dim"), Text(fold(v.text) + ("" if v.selected else "  (fixed)"), style="dim"))
    original = Panel(grid, title="conversation", title_align="left")
    changed = [v for v in views if v.changed]
    if ex.contrast_conversation is None:
        return original, None
    cgrid = Table.grid(padding=(0, 1))
    cgrid.add_column(style="bold", no_wrap=True)
    cgrid.add_column()
    for v in changed:
        cgrid.add_row(f"{v.role} [{v.index}]", _turn_text(v.contrast or []))
    cgrid.add_row(Text("", style="dim"), Text(f"{len(views) - len(changed)} other turn(s) unchanged", style="dim"))
    return original, Panel(cgrid, title="contrast conversation", title_align="left",
                           border_style="green" if ex.found else "red")


CUT = " (cut at max_tokens: scored on its complete sentences)"
STAGES = ("target", "infiller", "scorer", "other")


def stage_line(ex: Explanation) -> str:
    """``12.3s: target 8.1s, infiller 2.0s, scorer 0.4s, other 1.8s; 1.5s of these overlapped
    (infills prefetched while the target answered)``, the last part only when some did."""
    st = ex.seconds_by_stage
    parts = ", ".join(f"{k} {st[k]:.1f}s" for k in STAGES if k in st)
    if st.get("overlapped", 0.0) >= 0.05:
        parts += f"; {st['overlapped']:.1f}s of these overlapped (infills prefetched while the target answered)"
    return f"{ex.seconds:.1f}s" + (f": {parts}" if parts else "")


def skipped_line(ex: Explanation) -> str:
    """Candidates skipped before querying, by the kind of reason ("not fluent 4, ..."); those
    left unasked because a contrast was found first are the normal end of a search, not counted."""
    kinds: dict[str, int] = {}
    for t in ex.trace:
        if t.status == "skipped" and t.reason and not t.reason.startswith("not asked"):
            kind = t.reason.split(":", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{k} {n}" for k, n in kinds.items())


def render(ex: Explanation, console: Console | None = None) -> None:
    """Print an explanation: prompts (a conversation as turns), responses, verdict, calls."""
    console = console or Console()
    ex = visible_all(ex)  # control characters in model or user text never reach the terminal
    original, contrast = coloured_prompts(ex)
    turns = conversation_panels(ex) if ex.conversation is not None else None
    verdict = (
        Text("contrast found", style="bold green")
        if ex.found
        else Text("no contrast reached the threshold", style="bold red")
    )
    console.print(turns[0] if turns else Panel(original, title="prompt", title_align="left"))
    if ex.contrast_response is None:
        removed, added = [(ex.response, False)], []
    else:
        removed, added = response_diff(ex.response, ex.contrast_response)
    console.print(Panel(_marked(removed, "strike red"), title="response" + (CUT if ex.truncated else ""),
                        title_align="left", border_style="dim"))
    if ex.contrast_prompt is None:
        console.print(Panel(Text(ex.stop_reason or "no candidate was scored"), title="no contrast", border_style="red"))
        if ex.best_try is not None:
            b = ex.best_try
            body = Group(Text(b.prompt), Text(b.response or "", style="dim"), Text(edit_list(b.edits), style="dim"))
            console.print(Panel(body, title=f"closest try, score {_num(b.score)}: not a contrast", title_align="left",
                                border_style="dim"))
    else:
        console.print(turns[1] if turns and turns[1] is not None else
                      Panel(contrast, title="contrast prompt", title_align="left", border_style="green" if ex.found else "red"))
        title = "contrast response" + (CUT if ex.contrast_truncated else "")
        console.print(Panel(_marked(added, "bold green"), title=title, title_align="left", border_style="dim"))
    heat = heat_panel(ex)
    if heat is not None:
        console.print(heat)
    table = Table.grid(padding=(0, 2))
    op = {"increase": ">=", "decrease": "<=", "absolute": "|score| >="}[ex.direction]
    score = "n/a" if ex.score is None else f"{ex.score:.3f}"
    table.add_row("result", verdict)
    scorer = scorer_label({"scorer": ex.scorer, "submaxims": ex.submaxims})
    table.add_row("score", f"{score}  ({scorer}; found when {op} {ex.threshold:g})")
    if ex.scorer_reason:
        table.add_row("definition", Text(ex.scorer_reason, style="dim"))
    line = verdict_line(ex.verdict)
    if line:
        table.add_row("verdict", line)
    table.add_row(
        "edits",
        f"{len(ex.edits)}  (edit distance {ex.edit_distance:.2f})" if ex.edit_distance is not None else "0",
    )
    if ex.edits:
        table.add_row("changed", edit_list(ex.edits, ex.edit_scores))
        weak = together_only(ex)
        if weak:
            table.add_row("", Text(weak, style="bold yellow"))
    if ex.minimized_from is not None:
        before = ex.minimized_from
        table.add_row("minimised", f"from {len(before.edits)} edit(s) (score {_num(before.score)}): {before.prompt}")
    if ex.stability is not None or ex.noise_band is not None:
        table.add_row("stability", f"held in {_pct(ex.stability)} of re-samples; noise band {_num(ex.noise_band)}")
    c = ex.calls
    budget = "unlimited" if ex.budget is None else str(ex.budget)
    extra = "".join(f", {k} {v}" for k, v in (("of which minimize", c.minimize), ("of which confirm", c.confirm)) if v)
    table.add_row(
        "calls",
        f"target {c.target}/{budget}{extra} + original {c.original}, cache hits {c.cache_hits}, "
        f"infiller {c.infiller}, scorer {c.scorer}",
    )
    skipped = skipped_line(ex)
    if skipped:
        table.add_row("skipped", f"before querying: {skipped}")
    if ex.scorer_failures:
        failed = f"{ex.scorer_failures} response(s) the scorer '{ex.scorer}' could not score"
        table.add_row("scorer failures", Text(failed, style="bold yellow"))
    table.add_row("search", f"{ex.algorithm}, split_k={ex.split_k}, seed={ex.seed}"
                  + (f" — {ex.stop_reason}" if ex.stop_reason and not ex.found else ""))
    for note in ex.notes:
        table.add_row("note", Text(note, style="dim"))
    table.add_row("time", stage_line(ex))
    console.print(Group(table))
    for i, other in enumerate(ex.contrasts[1:], 2):
        _, prompt = coloured_prompts(ex, other)
        stab = "" if other.stability is None else f", held in {_pct(other.stability)} of re-samples"
        title = f"contrast {i} of {len(ex.contrasts)}: {len(other.edits)} edit(s), score {_num(other.score)}{stab}"
        console.print(Panel(Group(prompt, Text(other.response or "", style="green")), title=title,
                            title_align="left", border_style="green"))


#: Background shades of the heat strip, by level 1..4: towards a contrast (red), away (blue).
HEAT_UP = ("on #ffe0d6", "on #ffb8a1", "on #f7876a", "on #e0502f")
HEAT_DOWN = ("on #dde8ff", "on #b5ccff", "on #86a9f5", "on #5b82e0")


def heat_panel(ex: Explanation) -> Panel | None:
    """The prompt with each edited unit shaded by its estimated effect (``unit_effects``):
    red pushed answers towards a contrast, blue away, dotted = too few candidates to tell."""
    parts = heat_pieces(ex.prompt, ex.unit_effects)
    if not parts:
        return None
    text = Text()
    for p in parts:
        if p.unit is None:
            text.append(p.text, style="dim" if ex.conversation is not None else "")
        elif p.level is None:
            text.append(p.text, style="underline dim")
        elif p.level == 0:
            text.append(p.text, style="underline")
        else:
            shades = HEAT_UP if p.level > 0 else HEAT_DOWN
            text.append(p.text, style="black " + shades[abs(p.level) - 1])
    return Panel(Group(text, Text(heat_line(ex.unit_effects), style="dim")),
                 title="word effects (red: editing it moved answers towards a contrast)",
                 title_align="left", border_style="dim")


def edit_list(edits: tuple[Edit, ...], alone: tuple[float | None, ...] = ()) -> str:
    """The edits as text, ``"old" → "new"``, each with its own score when it was asked alone."""
    parts = []
    for e in sorted(edits, key=lambda e: e.start):
        s = alone[edits.index(e)] if len(alone) == len(edits) else None
        parts.append(f"{e.old.strip()!r} → {e.new.strip()!r}" + ("" if s is None else f" (alone {s:.3f})"))
    return "; ".join(parts)


def together_only(ex: Explanation) -> str:
    """A warning when the contrast needs several edits none of which reaches δ alone."""
    known = [s for s in ex.edit_scores if s is not None]
    if len(ex.edits) < 2 or len(known) != len(ex.edits) or any(Goal(ex.direction, ex.threshold).reached(s) for s in known):
        return ""
    return f"needs all {len(ex.edits)} edits together: none reaches the threshold alone"


def _num(x: Any, digits: int = 3) -> str:
    return "n/a" if x is None else f"{float(x):.{digits}f}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def render_records(records: list[dict[str, Any]], console: Console) -> None:
    """Print every record of a results file (``promptfoil report`` without ``--html``)."""
    records = visible_all(records)
    for n, rec in enumerate(records, 1):
        console.rule(f"[bold]{n}/{len(records)}[/bold]  {rec.get('id', '')}")
        if rec.get("error"):
            console.print(Text.assemble(("failed: ", "bold red"), str(rec["error"])), highlight=False)
            continue
        render(Explanation.from_dict(rec), console)
        policy = policy_line(rec)
        if policy:
            console.print(policy, highlight=False)
    found = sum(bool(r.get("found")) for r in records)
    console.rule(f"{found}/{len(records)} contrasts found")
    judges = judge_summary(records)
    if judges:
        console.print(Text.assemble(("judges: ", "bold yellow"), judges), highlight=False)
