"""sha1/sha256 hex digests without OpenSSL.

`import hashlib` maps OpenSSL's libcrypto into the process (3.7 MB of RSS against 0.1 MB:
benchmarks/bench_digest.py). CPython's own implementations (`_sha1`, `_sha2`/`_sha256`)
give the same digests; hashlib stays the fallback for interpreters without them
(tests/unit/test_private_apis.py runs it).
"""

from __future__ import annotations

from typing import Any, Callable, Dict

_CACHE: Dict[str, Callable[[bytes], Any]] = {}


def _builtin(name: str) -> Callable[[bytes], Any]:
    fn = _CACHE.get(name)
    if fn is None:
        modules = {"sha1": ("_sha1",), "sha256": ("_sha2", "_sha256")}[name]
        for module in modules:  # _sha2: CPython >= 3.12, _sha256 before
            try:
                fn = getattr(__import__(module), name)
                break
            except (ImportError, AttributeError):
                continue
        else:
            import hashlib

            fn = getattr(hashlib, name)
        _CACHE[name] = fn
    return fn


def sha1_hex(data: bytes) -> str:
    return _builtin("sha1")(data).hexdigest()


def sha256_hex(data: bytes) -> str:
    return _builtin("sha256")(data).hexdigest()
