"""What an idle daemon has loaded: heavy modules wait until something needs them (RSS)."""

from __future__ import annotations

import hashlib
import hmac
import json

from kcrashd.alerts.ids import alert_id_for
from kcrashd.parse.digest import sha1_hex, sha256_hex
from tests.helpers import run_python

# What `kcrashd run` imports before its first kernel line, snapshot or hook.
AT_START = (
    "kcrashd.daemon.loop",
    "kcrashd.parse.assembler",
    "kcrashd.sources.journal",
    "kcrashd.sinks.hooks",
    "kcrashd.sinks.journald",
)
# Not needed until a crash report, a snapshot, a check or a metrics scrape comes.
LATER = (
    "_hashlib",  # OpenSSL's libcrypto: 3.5 MB of RSS
    "kcrashd.snapshots.capture",
    "kcrashd.snapshots.taker",
    "kcrashd.store.snapshots",
    "kcrashd.store.incidents",
    "kcrashd.checks.registry",
    "pyudev",
    "http.server",
)


def test_daemon_start_imports_leave_heavy_modules_for_later() -> None:
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in AT_START)
        + f"print(json.dumps([m for m in {list(LATER)!r} if m in sys.modules]))\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_builtin_digests_are_hashlibs() -> None:
    # signatures and alert ids must not change with the implementation
    for data in (b"", b"oops:f|g", "page_fault:é".encode()):
        assert sha1_hex(data) == hashlib.sha1(data).hexdigest()
        assert sha256_hex(data) == hashlib.sha256(data).hexdigest()
    text = b"b00t|oops:f:0123|crash_report|1"
    for key in (b"k" * 32, b"", b"x" * 100):  # a key longer than a block is hashed first
        want = hmac.new(key, text, hashlib.sha256).hexdigest()[:32]
        assert alert_id_for(key, "b00t", "oops:f:0123", "crash_report", 1) == want


RUN_ONCE = """
import json, sys
from kcrashd import config
from kcrashd.daemon.loop import Daemon
watchers = ("memory", "fd", "thermal", "disk", "edac", "kernel_counters")
cfg = config.from_dict({
    "hooks": {"directory": sys.argv[1] + "/hooks.d"},
    "postmortem": {"enabled": False},
    "metrics": {"textfile_directory": None},
    "watchers": {w: {"enabled": False} for w in watchers},
})
code = Daemon(cfg, None, sys.argv[1] + "/state", sys.argv[1] + "/journal", once=True).run()
print(json.dumps([code, sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)]))
"""


def test_a_run_without_crashes_or_snapshots_leaves_them_unloaded(tmp_path) -> None:
    # `kcrashd run --once` over an empty journal directory: the readiness checks run at
    # start (so their registry loads), nothing else may pull in the modules above.
    (tmp_path / "journal").mkdir()
    later = [m for m in LATER if m != "kcrashd.checks.registry"]
    out = run_python(RUN_ONCE, str(tmp_path), json.dumps(later), timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == [0, []]


def test_postmortem_sources_do_not_load_openssl() -> None:
    # The post-mortem job runs at every start (on by default): its fingerprints use the
    # built-in digests too.
    code = (
        "import sys\n"
        "import kcrashd.postmortem.collect, kcrashd.sources.pstore, kcrashd.sources.kdump\n"
        "print('_hashlib' in sys.modules)\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
