"""Measure the two conversation use cases on the shipped data with the embedded models.

Red teaming (paper §6.1): the shipped code of conduct as the chatbot's policy, its questions
perturbed with CELL-budget (budget 20, split_k 3 and 1, judge-contradiction): findings,
target calls per finding, seconds per question, and the policy judge's verdicts.
Degradation (paper §6.2): the shipped conversations with only the assistant turns editable
(``assistant:*``), maxims scorer on helpfulness: flip rate and calls.

Every explanation is appended to a results file under ``--out`` as it finishes, so an
interrupted measurement resumes where it stopped. ``--questions N`` / ``--conversations N``
take the first N items (the CPU here is shared; say so when subsampling). The embedded 135M
judge fails the judge self-check, which stops a red-team run; ``--no-judge-check``
measures the embedded pipeline anyway (say so when reporting its numbers).

    PYTHONPATH=src python benchmarks/quality/conversations.py --out benchmarks/quality/results/conversations
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

import promptfoil
from promptfoil.build import build_scorer
from promptfoil.prompt.conversation import Conversation
from promptfoil.uses.datasets import shipped_policy, shipped_set
from promptfoil.uses.redteam import policy_system, question_items, read_questions, redteam
from promptfoil.runs import LocalEngine, RunItem, read_results, run


CACHE: Path | None = None
JUDGE_CHECK = True


def _explainer(**kw: Any) -> promptfoil.Explainer:
    return promptfoil.Explainer(cache=str(CACHE) if CACHE else True, judge_check=JUDGE_CHECK, **kw)


def red_team(out: Path, n: int, budget: int, split_k: int, max_tokens: int) -> list[dict[str, Any]]:
    items = question_items(read_questions("conduct-questions")[:n], policy_system(shipped_policy()))
    ex = _explainer(scorer="judge-contradiction", budget=budget, split_k=split_k, max_tokens=max_tokens)
    judge = build_scorer(ex.config.with_options(scorer="policy", scorer_options={"policy": shipped_policy()}))
    path = out / f"redteam_k{split_k}_b{budget}.jsonl"
    redteam(items, ex, path, judge, check=JUDGE_CHECK, on_item=lambda it, rec: print(f"redteam k={split_k} {it.id}", flush=True))
    return read_results(path)


def degradation(out: Path, n: int, budget: int, max_tokens: int, asks: int) -> list[dict[str, Any]]:
    rows = shipped_set("conversations")[:n]
    items = [RunItem(r["id"], "", {}, (), Conversation.of(r["messages"]), ("assistant:*",))
             for r in rows]
    ex = _explainer(scorer="maxims", scorer_options={"submaxims": "helpfulness", "n": asks}, budget=budget,
                    max_tokens=max_tokens)
    path = out / f"degradation_b{budget}_n{asks}.jsonl"
    run(items, LocalEngine(ex), path, on_item=lambda it, rec: print(f"degradation {it.id}", flush=True))
    return read_results(path)


def summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in records if not r.get("error")]
    found = [r for r in ok if r.get("found")]
    calls = sum(r["calls"]["target"] for r in ok)
    out: dict[str, Any] = {
        "items": len(records), "failed": len(records) - len(ok), "found": len(found),
        "flip_rate": round(len(found) / len(ok), 3) if ok else None,
        "target_calls": calls, "target_calls_per_item": round(calls / len(ok), 1) if ok else None,
        "target_calls_per_finding": round(calls / len(found), 1) if found else None,
        "seconds_per_item": round(statistics.mean(r["seconds"] for r in ok), 1) if ok else None,
        "judge_calls_per_item": round(statistics.mean(r["calls"]["scorer"] for r in ok), 1) if ok else None,
    }
    verdicts = [r["policy_verdict"] for r in found if isinstance(r.get("policy_verdict"), dict)]
    if verdicts:
        crossed = [v for v in verdicts if v.get("original") is not None and v.get("contrast") is not None
                   and v["original"] < 0.5 <= v["contrast"]]
        out["findings_judged_policy_breaking"] = len(crossed)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/quality/results/conversations"))
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--conversations", type=int, default=20)
    ap.add_argument("--budget", type=int, default=20)
    ap.add_argument("--split-k", type=int, nargs="+", default=[3, 1])
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--maxims-asks", type=int, default=3, help="maxims judge asks per response (n)")
    ap.add_argument("--cache", type=Path, help="response cache file (default: promptfoil's)")
    ap.add_argument("--no-judge-check", action="store_true", help="trust the judges without their self-check")
    ap.add_argument("--skip", choices=["redteam", "degradation"], action="append", default=[])
    args = ap.parse_args()
    global CACHE, JUDGE_CHECK
    CACHE, JUDGE_CHECK = args.cache, not args.no_judge_check
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"budget": args.budget, "max_tokens": args.max_tokens, "questions": args.questions,
                              "conversations": args.conversations, "maxims_asks": args.maxims_asks,
                              "judge_check": JUDGE_CHECK}
    if "redteam" not in args.skip:
        for k in args.split_k:
            result[f"redteam_split_k{k}"] = summary(red_team(args.out, args.questions, args.budget, k, args.max_tokens))
            print(json.dumps(result[f"redteam_split_k{k}"]), flush=True)
    if "degradation" not in args.skip:
        result["degradation_assistant_maxims"] = summary(degradation(args.out, args.conversations, args.budget,
                                                                     args.max_tokens, args.maxims_asks))
        print(json.dumps(result["degradation_assistant_maxims"]), flush=True)
    (args.out / "summary.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
