"""Keeping secrets out of what promptfoil prints and stores.

An API key is masked wherever it appears, in any letter case and in part: a server that
echoes it upper-cased, or without its ``sk-`` prefix, or cut short, must not get it into an
error line or a log. A URL loses its user:password and its query string before it is used
as a name (cache keys, results, messages): ``?api_key=...`` is a common way to pass a key.
"""

from __future__ import annotations

import base64
from urllib.parse import unquote, urlsplit, urlunsplit

#: Shortest run of a key's characters that is masked when found apart from the whole key;
#: also the shortest API key that is treated as a secret at all.
MIN_SECRET_PART = 8
MASK = "***"
#: Values people put in the key variable of a local server that takes no key: not secrets,
#: and masking them would rewrite ordinary words of every answer.
PLACEHOLDER_KEYS = frozenset({
    "empty", "none", "null", "no-key", "nokey", "dummy", "sk-dummy", "sk-no-key-required", "no-key-required",
    "not-needed", "notneeded", "placeholder", "changeme", "your-api-key", "sk-xxx", "sk-placeholder", "test",
    "sk-test", "fake", "sk-fake", "local", "ollama", "lm-studio", "lmstudio", "vllm", "llama.cpp",
})


def is_secret(key: str | None) -> bool:
    """Whether an API key is worth masking: at least :data:`MIN_SECRET_PART` characters and not
    a known placeholder (``EMPTY``, ``none``, ``sk-no-key-required``, ...). A one-letter key
    masked "in part" would turn every ``a`` of an answer into ``***``."""
    if not key:
        return False
    k = key.strip()
    return len(k) >= MIN_SECRET_PART and k.lower() not in PLACEHOLDER_KEYS


def mask_secret(text: str, secret: str | None) -> str:
    """``text`` with every case-insensitive occurrence of ``secret``, and of any run of at
    least :data:`MIN_SECRET_PART` of its characters, replaced by ``***``."""
    if not secret or not text:
        return text
    low, key = text.lower(), secret.lower()
    least = min(MIN_SECRET_PART, len(key))
    hidden = [False] * len(text)
    i = 0
    while i + least <= len(low):
        if low[i : i + least] in key:
            j = i + least
            while j < len(low) and low[i : j + 1] in key:
                j += 1
            for k in range(i, j):
                hidden[k] = True
            i = j
        else:
            i += 1
    out: list[str] = []
    for ch, h in zip(text, hidden):
        if not h:
            out.append(ch)
        elif not out or out[-1] is not MASK:
            out.append(MASK)
    return "".join(out)


def mask_secrets(text: str, secrets: list[str]) -> str:
    """:func:`mask_secret` for each of ``secrets``."""
    for s in secrets:
        text = mask_secret(text, s)
    return text


def public_url(url: str) -> str:
    """``url`` without user:password, query string or fragment (a name safe to store and show)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", "")).rstrip("/")


def url_secrets(url: str) -> list[str]:
    """The user-info (name, password and their HTTP Basic encoding) and every query value
    of ``url``: what must be masked like a key."""
    from urllib.parse import parse_qsl

    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    if parts.username or parts.password:  # user-info is never shown in any form, HTTP Basic's included
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
        found += [s for s in (parts.username, user) if s and len(s) >= 3]
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        found += [basic, basic.rstrip("=")]
    found += [v for _, v in parse_qsl(parts.query, keep_blank_values=False) if len(v) >= 4]
    return found
