"""Tiny Hugging Face models built offline for plumbing tests: the real model and tokenizer
classes, a few hundred parameters' worth of random weights, saved to a folder and loaded back
through promptfoil's public API by path.

Random weights say nothing about infilling or scoring quality; tests built on these models
check plumbing only (parsing, label mapping, batching, truncation, no leaked special tokens).
"""

from __future__ import annotations

import json
from pathlib import Path

SENTENCES = [
    "Is it wrong to lie to my friend about her boyfriend?",
    "Why are rich people able to avoid financial ruin?",
    "My sister left her job and I am worried about money.",
    "Should I tell my boss that I am looking for another job?",
    "The cat sat on the mat and the dog slept by the door.",
    "Response A is better than response B for this post.",
]
WORDS = sorted({w.strip("?.,").lower() for s in SENTENCES for w in s.split()} | {"a", "b", "not"})
CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ?.,'"


def _torch_seed(seed: int) -> None:
    import torch

    torch.manual_seed(seed)


def t5_tokenizer(extra_ids: int = 10):
    from transformers import T5Tokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    vocab += [("\u2581" + w, -5.0) for w in WORDS] + [("\u2581" + w.capitalize(), -6.0) for w in WORDS]
    vocab += [("\u2581A", -5.0), ("\u2581B", -5.0)]
    vocab += [(c, -9.0) for c in CHARS]
    vocab += [(f"<extra_id_{i}>", 0.0) for i in range(extra_ids - 1, -1, -1)]
    return T5Tokenizer(vocab=vocab, extra_ids=extra_ids)


def bpe_tokenizer(cls_name: str = "RobertaTokenizer"):
    """A byte-level BPE tokenizer trained on the sentences above (RoBERTa/BART format)."""
    import tempfile

    import transformers
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        SENTENCES * 4, vocab_size=520, min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )
    with tempfile.TemporaryDirectory() as d:
        bpe.save_model(d)
        vocab = json.loads(Path(d, "vocab.json").read_text())
        lines = Path(d, "merges.txt").read_text().splitlines()
    merges = [tuple(line.split()) for line in lines if line and not line.startswith("#")]
    return getattr(transformers, cls_name)(vocab=vocab, merges=merges)


def bert_tokenizer():
    from transformers import BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(CHARS.lower().replace("?", "")) + ["?", "."]
    vocab += [w for w in WORDS if w not in vocab] + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz"]
    return BertTokenizer(vocab={t: i for i, t in enumerate(dict.fromkeys(vocab))})


def _save(model, tok, path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def build_t5(path: Path, seed: int = 0) -> Path:
    from transformers import T5Config, T5ForConditionalGeneration

    _torch_seed(seed)
    tok = t5_tokenizer()
    cfg = T5Config(
        vocab_size=len(tok), d_model=16, d_kv=8, d_ff=32, num_layers=1, num_decoder_layers=1,
        num_heads=2, decoder_start_token_id=tok.pad_token_id, pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id, initializer_factor=8.0,
    )
    return _save(T5ForConditionalGeneration(cfg), tok, path)


def build_bart(path: Path, seed: int = 0) -> Path:
    from transformers import BartConfig, BartForConditionalGeneration

    _torch_seed(seed)
    tok = bpe_tokenizer()
    cfg = BartConfig(
        vocab_size=len(tok), d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
        decoder_ffn_dim=32, max_position_embeddings=128, pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id, forced_bos_token_id=tok.bos_token_id,
    )
    return _save(BartForConditionalGeneration(cfg), tok, path)


def build_bert_mlm(path: Path, seed: int = 0) -> Path:
    from transformers import BertConfig, BertForMaskedLM

    _torch_seed(seed)
    tok = bert_tokenizer()
    cfg = BertConfig(
        vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, pad_token_id=tok.pad_token_id,
    )
    return _save(BertForMaskedLM(cfg), tok, path)


def build_roberta_mlm(path: Path, seed: int = 0) -> Path:
    from transformers import RobertaConfig, RobertaForMaskedLM

    _torch_seed(seed)
    tok = bpe_tokenizer()
    cfg = RobertaConfig(
        vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=66, pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
    )
    return _save(RobertaForMaskedLM(cfg), tok, path)


def build_nli(path: Path, id2label: dict[int, str], seed: int = 0, max_positions: int = 66) -> Path:
    """A RoBERTa cross-encoder with three labels in the given order."""
    from transformers import RobertaConfig, RobertaForSequenceClassification

    _torch_seed(seed)
    tok = bpe_tokenizer()
    cfg = RobertaConfig(
        vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=max_positions, pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, num_labels=len(id2label),
        id2label=id2label, label2id={v: k for k, v in id2label.items()}, initializer_range=0.5,
    )
    return _save(RobertaForSequenceClassification(cfg), tok, path)


def build_reward(path: Path, seed: int = 0) -> Path:
    from transformers import BertConfig, BertForSequenceClassification

    _torch_seed(seed)
    tok = bert_tokenizer()
    cfg = BertConfig(
        vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, pad_token_id=tok.pad_token_id, num_labels=1,
        initializer_range=0.5,
    )
    return _save(BertForSequenceClassification(cfg), tok, path)


CHAT_TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant:{% endif %}"
)


def build_causal(path: Path, chat: bool = True, seed: int = 0, initializer_range: float = 0.02) -> Path:
    """A tiny Llama with a byte-level BPE tokenizer, with or without a chat template. A large
    ``initializer_range`` (0.5) makes its answers depend on every token and position."""
    from transformers import LlamaConfig, LlamaForCausalLM

    _torch_seed(seed)
    tok = bpe_tokenizer()
    if chat:
        tok.chat_template = CHAT_TEMPLATE
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        initializer_range=initializer_range,
    )
    return _save(LlamaForCausalLM(cfg), tok, path)


def permuted_nli(source: Path, path: Path, order: list[int]) -> Path:
    """Copy of a tiny NLI model whose classes are stored in another order: row ``i`` of the new
    classifier is row ``order[i]`` of the old one, and ``id2label`` moves with it. The two
    models compute the same function; only the label positions differ."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    net = AutoModelForSequenceClassification.from_pretrained(source)
    head = net.classifier.out_proj
    with torch.no_grad():
        head.weight.copy_(head.weight[order].clone())
        head.bias.copy_(head.bias[order].clone())
    old = net.config.id2label
    net.config.id2label = {i: old[o] for i, o in enumerate(order)}
    net.config.label2id = {v: k for k, v in net.config.id2label.items()}
    return _save(net, AutoTokenizer.from_pretrained(source), path)
