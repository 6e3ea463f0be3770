"""Run `kcrashd ARGS...` that stops dead at one point of delivering an alert of type TYPE:

    python -m tests.faults.block after-send TYPE[:N] -- kcrashd-arguments...
    python -m tests.faults.block at-confirm TYPE -- kcrashd-arguments...

after-send: right after journald took the alert (the Nth of that type, default the first),
before kcrashd committed anything about it. at-confirm: at the first look-up of the sent
alert in the journal, after the commit that owes it in the outbox and before the one that
records it as sent. The test sees the alert in the journal and kills the process with
SIGKILL: a real crash at that point, with no test hook in kcrashd itself.
"""

from __future__ import annotations

import sys
import time
from typing import Dict, List


def _block(what: str, alert_id: str) -> None:
    sys.stderr.write(f"tests.faults.block: {what} {alert_id}: blocking\n")
    sys.stderr.flush()
    while True:  # SIGTERM only sets a flag in kcrashd: only SIGKILL ends this
        time.sleep(3600)


def main(argv: List[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("after-send", "at-confirm") or argv[2] != "--":
        raise SystemExit("usage: block after-send|at-confirm TYPE[:N] -- kcrashd-arguments...")
    point, alert_type, args = argv[0], argv[1], argv[3:]
    alert_type, _, nth = alert_type.partition(":")
    block_at = int(nth or 1)
    from kcrashd.sinks import journald

    send, stored = journald.Journal.send, journald.Journal.stored
    sent: Dict[str, str] = {}  # alert id -> type, of the alerts this process sent

    def send_and_maybe_block(self, alert, alert_id):  # type: ignore[no-untyped-def]
        send(self, alert, alert_id)
        sent[alert_id] = alert.type
        count = sum(1 for t in sent.values() if t == alert_type)
        if point == "after-send" and alert.type == alert_type and count == block_at:
            _block("sent", alert_id)

    def stored_or_block(self, alert_id):  # type: ignore[no-untyped-def]
        if point == "at-confirm" and sent.get(alert_id) == alert_type:
            _block("looking up", alert_id)
        return stored(self, alert_id)

    journald.Journal.send = send_and_maybe_block  # type: ignore[method-assign]
    journald.Journal.stored = stored_or_block  # type: ignore[method-assign]
    from kcrashd.cli import main as kcrashd_main

    return kcrashd_main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
