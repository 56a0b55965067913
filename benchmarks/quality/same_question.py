"""Can a small chat judge tell a same-question edit from a key-word swap?

Labelled pairs come from the blind rating loop: every rated contrast (original question,
contrast question) with the rater's verdict on whether the edit swapped the question's key
word for its opposite or an unrelated word (``keyword_swap`` where the rater file has it,
else the rater's reason naming a key-word / unrelated / opposite swap). Pairs of the ``demo``
set are the tuning half; pairs of the held-out set are reported apart and never tuned on.

The judge sees both questions and answers Yes (same question, a detail changed) or No; the
score is its first-token probability of Yes among Yes/No. Reported: ROC AUC per half, and at
the threshold that is best on the tuning half, the swaps caught and the good edits lost.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import common  # noqa: E402

from promptfoil.backends.chat import ChatRequest  # noqa: E402
from promptfoil.backends.chat_factory import chat_backend  # noqa: E402
from promptfoil.codec.jsonl import objects  # noqa: E402

LOOP = common.results("quality") / "usefulness"

SYSTEM = ("You compare two questions. Reply Yes if the second question asks about the same situation and "
          "the same action as the first, with only a detail changed (who, how much, when, where, how, or a "
          "word like should/can), so that one person could ask either about the same matter. Reply No if the "
          "second asks about a different action or topic, or puts an opposite or an unrelated word in place of "
          "the main verb, object or judgement. Reply with one word: Yes or No.")


def same_question_prompt(original: str, edited: str) -> list[dict[str, str]]:
    """The messages that ask whether ``edited`` is ``original`` with a detail changed."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"First question: {original}\nSecond question: {edited}\n\n"
                                    "Is the second the same question with a detail changed: Yes or No?"},
    ]


def yes_share(first_token: dict[str, float] | None, min_mass: float = 0.3) -> float | None:
    """P(Yes) / (P(Yes) + P(No)) over the first token's spellings; None when the judge put
    less than ``min_mass`` on the two words (no judgement)."""
    yes = no = 0.0
    for token, p in (first_token or {}).items():
        t = token.strip().lower()
        if t == "yes":
            yes += p
        elif t == "no":
            no += p
    if yes + no < min_mass:
        return None
    return yes / (yes + no)


SWAP_WORDS = re.compile(r"key word|unrelated|opposite|antonym|different question|different act", re.I)


def labelled_pairs() -> list[dict]:
    """Unique (prompt, contrast prompt) pairs with a swap label and their half."""
    from promptfoil.codec.jsonl import loads

    blind: dict[str, dict] = {}
    for path in sorted((LOOP / "blind").glob("*.jsonl")):
        for _, row in objects(path, "blind items"):
            blind[row["item"]] = row
    pairs: dict[tuple[str, str], dict] = {}
    for path in sorted((LOOP / "ratings").glob("ratings_*.json")):
        for items in loads(path.read_text(encoding="utf-8"), str(path)).values():
            for it in items:
                row = blind.get(it["item"])
                if not row or not row.get("contrast_prompt"):
                    continue
                swap = it["keyword_swap"] if "keyword_swap" in it else bool(SWAP_WORDS.search(it["reason"]))
                half = "held" if row["prompt_id"].startswith("held-") else "tune"
                key = (row["prompt"], row["contrast_prompt"])
                old = pairs.get(key)
                # raters disagreeing on one pair: a swap if any rater called it one
                pairs[key] = {"prompt": key[0], "contrast": key[1], "half": half,
                              "swap": swap or bool(old and old["swap"])}
    return list(pairs.values())


def auc(pos: list[float], neg: list[float]) -> float:
    """P(a good edit scores above a swap), ties half."""
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--judge", default="qwen-0.5b", help="judge model: a short name or GGUF path (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=common.results("quality") / "same_question.md")
    a = ap.parse_args()
    pairs = labelled_pairs()
    chat = chat_backend(model=a.judge)
    reqs = [ChatRequest.of(same_question_prompt(p["prompt"], p["contrast"]), max_tokens=1, temperature=0.0, seed=0,
                           top_logprobs=20) for p in pairs]
    chat.chat(reqs[:1])
    t = time.perf_counter()
    replies = [r for i in range(0, len(reqs), 8) for r in chat.chat(reqs[i : i + 8])]
    per = (time.perf_counter() - t) / max(1, len(reqs))
    for p, r in zip(pairs, replies):
        p["yes"] = yes_share(r.first_token)
    lines = [f"# Same question or key-word swap? A {a.judge} judge on the rating loop's contrasts", "",
             f"`python benchmarks/quality/same_question.py --judge {a.judge}`; {len(pairs)} unique rated contrasts "
             f"({per:.2f} s per pair). Score: the judge's probability of Yes (same question, a detail changed).", "",
             "| half | pairs | swaps | AUC (good edit above swap) |", "|---|---|---|---|"]
    for half in ("tune", "held"):
        hp = [p for p in pairs if p["half"] == half]
        good = [p["yes"] for p in hp if not p["swap"] and p["yes"] is not None]
        bad = [p["yes"] for p in hp if p["swap"] and p["yes"] is not None]
        lines.append(f"| {half} | {len(hp)} | {sum(p['swap'] for p in hp)} | {auc(good, bad):.2f} |")
    tune = [p for p in pairs if p["half"] == "tune" and p["yes"] is not None]
    best = max(sorted({p["yes"] for p in tune}),
               key=lambda t: sum((p["yes"] < t) == p["swap"] for p in tune), default=0.5)
    lines += ["", f"Threshold best on the tuning half: skip when P(yes) < {best:.3f}.", "",
              "| half | swaps caught | good edits lost |", "|---|---|---|"]
    for half in ("tune", "held"):
        hp = [p for p in pairs if p["half"] == half and p["yes"] is not None]
        caught = sum(p["swap"] and p["yes"] < best for p in hp)
        lost = sum(not p["swap"] and p["yes"] < best for p in hp)
        lines.append(f"| {half} | {caught}/{sum(p['swap'] for p in hp)} | {lost}/{sum(not p['swap'] for p in hp)} |")
    lines += ["", "Held-out pairs:", "", "| swap | P(yes) | original → contrast |", "|---|---|---|"]
    for p in sorted((p for p in pairs if p["half"] == "held"), key=lambda p: p["yes"] or 0):
        lines.append(f"| {'yes' if p['swap'] else 'no'} | {p['yes']:.2f} | {p['prompt']} → {p['contrast']} |")
    a.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:20]))


if __name__ == "__main__":
    main()
