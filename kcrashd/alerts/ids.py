"""Alert ids: deterministic, and unpredictable to anyone without the state directory.

An alert id is also the KCRASHD_ALERT_ID of its journal entry, and kcrashd looks ids up in
the journal to tell whether an alert was sent before a crash. A plain hash of what the
alert is about could be computed by any user, who could then plant an entry with that id
ahead of a real crash. The id is therefore an HMAC-SHA256 of the alert's parts, keyed
with a secret kept in the 0700 state directory (kcrashd.store.secret), cut to 128 bits.
"""

from __future__ import annotations

from typing import Any

from kcrashd.parse.digest import sha256_hex  # not hashlib/hmac: no OpenSSL in an idle daemon

_BLOCK = 64  # SHA-256 block size


def hmac_sha256_hex(key: bytes, data: bytes) -> str:
    """HMAC-SHA256 (RFC 2104) as hex."""
    if len(key) > _BLOCK:
        key = bytes.fromhex(sha256_hex(key))
    key = key.ljust(_BLOCK, b"\0")
    inner = bytes.fromhex(sha256_hex(bytes(b ^ 0x36 for b in key) + data))
    return sha256_hex(bytes(b ^ 0x5C for b in key) + inner)


def alert_id_for(key: bytes, *parts: Any) -> str:
    """The id of the alert described by `parts` (boot, signature, type, occurrence ...)."""
    text = "|".join("" if p is None else str(p) for p in parts)
    return hmac_sha256_hex(key, text.encode("utf-8", "replace"))[:32]
