"""One-line summaries of a results record, in words, shared by the terminal and HTML reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: ``policy_verdict.judge_check`` of a policy judge that was not self-checked (see
#: :data:`promptfoil.uses.redteam.NOT_CHECKED`; kept here so reports import nothing above them).
NOT_CHECKED = "not checked"


def _num(x: Any, digits: int = 3) -> str:
    return "n/a" if x is None else f"{float(x):.{digits}f}"


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def scorer_label(rec: dict[str, Any]) -> str:
    """The scorer's name, with the sub-maxims it judged when it is ``maxims``."""
    name = str(rec.get("scorer", ""))
    subs = rec.get("submaxims")
    if subs and isinstance(subs, (list, tuple)):
        noun = "sub-maxim" if len(subs) == 1 else "sub-maxims"
        return f"{name} ({noun}: {', '.join(str(s) for s in subs)})"
    return name


def _score_relation(rec: dict[str, Any], v: dict[str, Any]) -> str:
    """How the record's score follows from (or is unrelated to) the policy verdicts."""
    scorer = str(rec.get("scorer", ""))
    if scorer != "policy":
        return f"; these verdicts do not make the score: findings are scored by '{scorer_label(rec)}'" if scorer else ""
    o, c = v.get("original"), v.get("contrast")
    if not (_is_num(o) and _is_num(c)):
        return ""
    threshold = rec.get("threshold")
    need = f", and a finding needs at least {float(threshold):g}" if _is_num(threshold) else ""
    line = f"; the score is their difference, {_num(c)} - {_num(o)} = {_num(float(c) - float(o))}{need}"
    score = rec.get("score")
    if _is_num(score) and abs(float(score) - (float(c) - float(o))) > 0.01:
        line += (f" (the recorded score {_num(score, 3)} judged the complete sentences of an answer cut at "
                 "max_tokens)" if rec.get("truncated") or rec.get("contrast_truncated")
                 else f" (the recorded score is {_num(score, 3)})")
    return line


def judge_check_words(check: Any) -> str:
    """``policy_verdict.judge_check`` in words ("" when the check passed)."""
    if check is None:
        return ""
    if check == NOT_CHECKED:
        return ("; not checked: the judges' self-checks were off (--no-judge-check), so these verdicts "
                "and the findings are unverified")
    return f"; not to be trusted: the policy judge failed its self-check ({check})"


def policy_line(rec: dict[str, Any]) -> str | None:
    """The policy judge's verdicts on a ``redteam`` record, in words (None: no verdicts)."""
    v = rec.get("policy_verdict")
    if not isinstance(v, dict):
        return None
    line = (f"policy judge, P(breaks or misstates the policy): original answer {_num(v.get('original'), 2)}, "
            f"contrast answer {_num(v.get('contrast'), 2)}")
    if v.get("error"):
        line += f" (the judge failed: {v['error']})"
    line += _score_relation(rec, v)
    return line + judge_check_words(v.get("judge_check"))


def judge_summary(records: Sequence[dict[str, Any]]) -> str | None:
    """What the whole file's findings rest on, when a judge was not checked or failed its
    check (None: every judge that could be checked passed, or no ``redteam`` verdicts)."""
    unchecked = failed = errors = 0
    for rec in records:
        if rec.get("error") and "failed its self-check" in str(rec["error"]):
            errors += 1
        v = rec.get("policy_verdict")
        if rec.get("error") or not isinstance(v, dict) or v.get("judge_check") is None:
            continue
        if v["judge_check"] == NOT_CHECKED:
            unchecked += 1
        else:
            failed += 1
    parts = []
    if unchecked:
        parts.append(f"{unchecked} record(s) come from judges that were not checked (--no-judge-check): "
                     "their findings and policy verdicts are unverified")
    if failed:
        parts.append(f"on {failed} record(s) the policy judge failed its self-check: their policy verdicts "
                     "are not to be trusted")
    if errors:
        parts.append(f"{errors} item(s) failed because the judge failed its self-check on them")
    return "; ".join(parts) if parts else None


def verdict_line(v: Any) -> str:
    """A verdict explanation in one line: "no (0.71) → yes (0.80)", or what the verdict held
    under. Anything malformed in a record shows as "unreadable", never an error."""
    if not isinstance(v, dict) or not isinstance(v.get("original"), dict):
        return ""

    def one(read: Any) -> str:
        if not isinstance(read, dict) or not isinstance(read.get("label"), str):
            return "unreadable"
        probs = read.get("probs") if isinstance(read.get("probs"), dict) else {}
        p = probs.get(read["label"])
        return f"{read['label']} ({float(p):.2f})" if _is_num(p) else read["label"]

    if not v.get("held"):
        return f"{one(v['original'])} → {one(v.get('contrast'))}"
    n, closest, delta = v.get("edits_asked"), v.get("closest"), v.get("threshold")
    asked = f"{n} edit(s) asked" if _is_num(n) else "the edits asked"
    near = f"; closest change {float(closest):.2f} < {float(delta):g}" if _is_num(closest) and _is_num(delta) else ""
    examples = v.get("examples") if isinstance(v.get("examples"), list) else []
    shown = "; ".join(str(e) for e in examples[:6])
    return f"held: {one(v['original'])} under {asked}{near}" + (f" — {shown}" if shown else "")
