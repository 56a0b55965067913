"""``promptfoil redteam``: red teaming a policy chatbot with CELL-budget (paper §6.1)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from ..build import build_scorer
from ..config import Config
from ..scorers.base import scorers
from ..explainer import Explainer
from ..uses.redteam import SHIPPED_POLICY, SHIPPED_QUESTIONS, policy_system, question_items, read_questions, read_text, redteam
from .options import add_explainer_options, add_parallel_option, cache_from_args, config_from_args

EXAMPLES = f"""\
examples:
  promptfoil redteam --policy conduct.md --questions questions.jsonl --out findings.jsonl
  promptfoil redteam --policy {SHIPPED_POLICY} --questions {SHIPPED_QUESTIONS} --out f.jsonl --limit 3   # shipped data
  promptfoil redteam --system bot.txt --questions q.jsonl --out f.jsonl --scorer policy
  promptfoil report findings.jsonl --html findings.html
"""


def add_parsers(sub: Any) -> None:
    r = sub.add_parser(
        "redteam", help="perturb each question to a policy chatbot; find answers that contradict it or break the policy",
        description="The chatbot is the target with the policy as its system prompt (--policy: behind a short "
        "instruction; --system: a system prompt used as it is). Each question of --questions (JSONL: 'question' "
        "or 'prompt', optional 'id') is explained with only the question editable. Results are appended to --out "
        "as they finish (resumable, like `run`), each with the policy judge's verdict on the original and the "
        "contrast answer.", epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument("--policy", metavar="FILE", help=f"the policy text ('{SHIPPED_POLICY}': the shipped code of conduct)")
    src.add_argument("--system", metavar="FILE", help="the chatbot's whole system prompt, used verbatim")
    r.add_argument("--questions", required=True, metavar="FILE",
                   help=f"questions JSONL ('{SHIPPED_QUESTIONS}': the 20 shipped questions)")
    r.add_argument("--out", required=True, metavar="FINDINGS.jsonl", help="results file (appended to; resumed)")
    r.add_argument("--limit", type=int, help="use only the first N questions")
    r.add_argument("--retry-failed", action="store_true", help="explain again the questions recorded with an error")
    r.add_argument("--restart", action="store_true",
                   help="empty the findings file first (it holds one experiment: resuming with other settings is refused)")
    r.add_argument("--no-trace", action="store_true", help="leave the search trace out of each record")
    add_explainer_options(r)
    add_parallel_option(r)
    r.set_defaults(budget=100, split_k=3, scorer="judge-contradiction")


def _policy_judge(cfg: Config, policy: str, scorer: Any) -> Any:
    """The scorer itself when it is the policy judge, else a policy judge built alike: on the
    same chat model as an LLM-judge scorer (``--scorer-model``), on the same server
    (``--base-url``) either way."""
    if getattr(scorer, "name", "") == "policy":
        return scorer
    name = cfg.scorer.name
    model = cfg.scorer.model if isinstance(name, str) and scorers.takes(name, "base_url") else None
    return build_scorer(cfg.with_options(scorer="policy", scorer_model=model, scorer_options={"policy": policy}))


def cmd_redteam(args: argparse.Namespace, console: Console, err: Console) -> int:
    from ..errors import ConfigError
    from ..runs.engines.shared import check_target, guard
    from .jobs import run_progress, watched
    from ..runs.results_file import check_results_file

    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be at least 1 (got {args.limit})")
    check_results_file(args.out, None, cache_from_args(args), inputs=(args.questions, args.policy, args.system))
    policy = read_text(args.policy or args.system, "policy" if args.policy else "system prompt")
    system = policy_system(policy) if args.policy else policy
    items = question_items(read_questions(args.questions)[: args.limit], system)
    cfg = config_from_args(args)
    if cfg.scorer.name == "policy" and "policy" not in cfg.scorer.options:
        cfg = cfg.with_options(scorer_options={**cfg.scorer.options, "policy": policy})
    parallel = args.parallel or 1
    check_target(cfg, parallel)  # before any model loads
    explainer = Explainer(cfg)
    judge = _policy_judge(cfg, policy, explainer.scorer)
    if parallel > 1:
        guard(explainer)  # here, not through the progress wrapper below
    watch = watched(explainer, err, "question")  # off a terminal: a line every few target calls
    with run_progress(err, "red teaming", len(items), "question", args.out, watch) as (start, step):
        summary = redteam(items, watch, args.out, judge, retry_failed=args.retry_failed,
                          trace=not args.no_trace, check=cfg.search.judge_check, on_start=start, on_item=step,
                          restart=args.restart, parallel=parallel)
    console.print(
        f"{summary.done} question(s) explained, {summary.failed} failed, {summary.skipped} already done "
        f"-> {args.out} ({summary.seconds:.1f} s); see them with: promptfoil report {args.out}", highlight=False,
    )
    if summary.failed and not summary.done:  # as `run`: nothing explained is a failure of the command
        err.print(f"[red]nothing was explained:[/red] all {summary.failed} question(s) tried failed", highlight=False)
        return 1
    return 0


COMMANDS = {"redteam": cmd_redteam}
