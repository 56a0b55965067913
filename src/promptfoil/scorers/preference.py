"""Preference scorers (paper §3.1): how much better the original answer is than the new one.

``preference``: a SteamSHP-style seq2seq judge reads the post and two responses and writes
"A" or "B". Its two next-token probabilities are renormalised over A and B only, and the
judgement is made in both presentation orders and averaged, which cancels the judge's bias
for a position. Score = P(y0 better) - P(yc better), in [-1, 1].

``reward``: any sequence-classification reward model (one output, or a named label) scores
(x0, y); score = reward(x0, y0) - reward(x0, yc), unbounded.

Both say "increase": a contrast is a prompt whose answer is worse than the original's.
Their default thresholds are judgements, not measurements: neither model can be downloaded
on the machines this was built on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backends import hf
from ..errors import ConfigError
from ..types import Direction
from .base import ScoreItem, scorers
from .classifier import PairClassifier

DEFAULT_MODEL = "stanfordnlp/SteamSHP-flan-t5-xl"
STEAMSHP_TEMPLATE = "POST: {post}\n\n RESPONSE A: {a}\n\n RESPONSE B: {b}\n\n Which response is better? RESPONSE"


def fair_share(lengths: Sequence[int], room: int) -> list[int]:
    """Tokens each part may keep so the total fits ``room``: short parts stay whole, the
    long ones share what is left equally."""
    keep = [0] * len(lengths)
    left = max(0, room)
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for pos, i in enumerate(order):
        keep[i] = min(lengths[i], left // (len(order) - pos))
        left -= keep[i]
    return keep


def _clip(tok: Any, text: str, keep: int, from_end: bool = False) -> str:
    offsets = tok(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    if len(offsets) <= keep:
        return text
    if keep <= 0:
        return ""
    return text[offsets[-keep][0] :] if from_end else text[: offsets[keep - 1][1]]


class PreferenceScorer:
    """A/B preference judge, both orders averaged (default SteamSHP-flan-t5-xl, the paper's)."""

    name = "preference"
    direction: Direction = "increase"
    bounds = (-1.0, 1.0)
    default_threshold = 0.3

    def __init__(
        self,
        model: str | None = None,
        template: str = STEAMSHP_TEMPLATE,
        labels: Sequence[str] = ("A", "B"),
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 8,
        max_length: int = 512,
    ) -> None:
        for field in ("{post}", "{a}", "{b}"):
            if field not in template:
                raise ConfigError(f"preference template must contain {field}")
        if len(labels) != 2 or labels[0] == labels[1]:
            raise ConfigError(f"labels must be two different strings (got {labels!r})")
        self.model = str(model or DEFAULT_MODEL)
        self.template = template
        self.labels = (str(labels[0]), str(labels[1]))
        self.hf = hf.HFModel(self.model, "seq2seq", device, dtype, batch_size)
        self.max_length = hf.check_positive("max_length", max_length)
        self._ids: tuple[int, int] | None = None

    def _load(self) -> tuple[Any, Any]:
        tok, net = self.hf.tokenizer, self.hf.net
        if self._ids is None:
            ids = [tok(lab, add_special_tokens=False)["input_ids"] for lab in self.labels]
            if not all(ids) or ids[0][0] == ids[1][0]:
                raise ConfigError(f"labels {self.labels} do not start with two different tokens in '{self.model}'")
            self._ids = (ids[0][0], ids[1][0])
        return tok, net

    def _fit(self, tok: Any, post: str, a: str, b: str, limit: int) -> tuple[str, bool]:
        """The judge's input; post and responses are shortened to fit ``limit`` tokens."""
        text = self.template.format(post=post, a=a, b=b)
        if len(tok(text)["input_ids"]) <= limit:
            return text, False
        overhead = len(tok(self.template.format(post="", a="", b=""))["input_ids"])
        lens = [len(tok(t, add_special_tokens=False)["input_ids"]) for t in (post, a, b)]
        keep = fair_share(lens, limit - overhead - 3)
        post = _clip(tok, post, keep[0], from_end=True)  # a post's question usually ends it
        a, b = _clip(tok, a, keep[1]), _clip(tok, b, keep[2])
        return self.template.format(post=post, a=a, b=b), True

    def prob_first(self, posts: Sequence[str], firsts: Sequence[str], seconds: Sequence[str]) -> list[float]:
        """P(response A is better), normalised over the two labels, per (post, A, B); batched."""
        torch = hf.torch_mod("The preference scorer")
        tok, net = self._load()
        limit = self.hf.limit(self.max_length)
        fitted = [self._fit(tok, p, a, b, limit) for p, a, b in zip(posts, firsts, seconds)]
        cut = sum(flag for _, flag in fitted)
        if cut:
            hf.warn_truncated("preference scorer", self.model, cut, limit)
        start = net.config.decoder_start_token_id
        start = tok.pad_token_id if start is None else start
        ia, ib = self._ids  # type: ignore[misc]
        out: list[float] = []
        for part in self.hf.batches([t for t, _ in fitted]):
            enc = self.hf.inputs(part, max_length=limit)
            dec = torch.full((len(part), 1), start, dtype=torch.long, device=self.hf.device)
            with torch.no_grad():
                logits = net(**enc, decoder_input_ids=dec).logits[:, -1, :].float()
            two = torch.stack([logits[:, ia], logits[:, ib]], dim=1)
            out.extend(float(p) for p in torch.softmax(two, dim=1)[:, 0].cpu())
        return out

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        if not items:
            return []
        n = len(items)
        posts = [i.x0 for i in items] * 2
        firsts = [i.y0 for i in items] + [i.yc for i in items]
        seconds = [i.yc for i in items] + [i.y0 for i in items]
        pa = self.prob_first(posts, firsts, seconds)
        scores = []
        for j in range(n):
            y0_better = (pa[j] + (1.0 - pa[n + j])) / 2.0  # y0 shown first, then second
            scores.append(round(2.0 * y0_better - 1.0, 6))
        return scores


class RewardScorer(PairClassifier):
    """reward(x0, y0) - reward(x0, yc) with a sequence-classification reward model.

    No default model: pass one with ``--scorer-model``. The default threshold 1.0 (in reward
    units) is a placeholder, not a measurement: reward scales differ between models.
    """

    name = "reward"
    bounds = (float("-inf"), float("inf"))
    default_threshold = 1.0

    def _pick_index(self, config: Any) -> int:
        n = int(config.num_labels)
        if self.label is None:
            if n != 1:
                raise ConfigError(f"reward model '{self.model}' has {n} outputs; pick one with --scorer-option label=NAME")
            return 0
        if isinstance(self.label, int):
            if not 0 <= self.label < n:
                raise ConfigError(f"label index {self.label} out of range for '{self.model}' ({n} outputs)")
            return self.label
        names = {str(v).lower(): int(k) for k, v in config.id2label.items()}
        if self.label.lower() not in names:
            raise ConfigError(f"model '{self.model}' has no label '{self.label}'; labels: {sorted(names)}")
        return names[self.label.lower()]

    def _column(self, logits: Any, index: int) -> Any:
        return logits[:, index]

    def rewards(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """Reward per (prompt, response) pair, batched; long pairs are truncated."""
        return self.pair_values(prompts, responses)

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        if not items:
            return []
        pairs = list(dict.fromkeys([(i.x0, i.y0) for i in items] + [(i.x0, i.yc) for i in items]))
        values = dict(zip(pairs, self.rewards([p for p, _ in pairs], [r for _, r in pairs])))
        return [round(values[(i.x0, i.y0)] - values[(i.x0, i.yc)], 6) for i in items]


scorers.register(
    "preference", "A/B judge, both orders averaged: P(y0 better) - P(yc better) (default SteamSHP-flan-t5-xl)"
)(PreferenceScorer)
scorers.register(
    "reward", "reward(x0, y0) - reward(x0, yc) with a sequence-classification reward model (--scorer-model)"
)(RewardScorer)
