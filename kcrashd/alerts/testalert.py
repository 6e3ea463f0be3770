"""`kcrashd alert --test`: one alert of type test_alert through every configured sink, each
one checked the way its reader would see it (like `smartd -M test`).

- journal: sent with its own MESSAGE_ID, then read back from the journal by its alert id;
- hooks: every hook in hooks.directory run now, delivered when it exits 0;
- metrics: the alert recorded in state.db (so kcrashd_alerts_total{type="test_alert"}
  counts it, as the daemon's metrics do) and the textfile for node_exporter rewritten with
  the new count, read back from the file.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

from kcrashd.config import Config
from kcrashd.host.root import Root
from kcrashd.model import Alert, Severity
from kcrashd.store import alerts as alert_store

ALERT_TYPE = "test_alert"
JOURNAL_WAIT = 5.0  # seconds to find the entry again (journald writes asynchronously)
COUNTER = "kcrashd_alerts_total"


@dataclass
class Delivery:
    sink: str  # journal, hook, metrics
    target: str  # journald, the hook's path, the textfile's path
    delivered: Optional[bool]  # None: this sink is not in use here
    detail: str
    seconds: float = 0.0


def make_test_alert(host: str, user: str) -> Alert:
    return Alert(
        ALERT_TYPE,
        Severity.NOTICE,
        f"kcrashd test alert from {host}: alerts from this host reach you",
        {"host": host, "user": user, "test": "yes"},
        dedup_key=f"test_alert:{host}",
    )


def new_alert_id(alert: Alert) -> str:
    """A fresh id no one can predict (alert ids are keyed or random: kcrashd.alerts.ids)."""
    return uuid.uuid4().hex


def to_journal(
    alert: Alert,
    alert_id: str,
    send: Optional[Callable[[Alert, str], None]] = None,
    found: Optional[Callable[[str], bool]] = None,
    wait: float = JOURNAL_WAIT,
) -> Delivery:
    from kcrashd.sinks import journald

    send = send or journald.send_alert
    found = found or journald.alert_in_journal
    start = time.monotonic()
    try:
        send(alert, alert_id)
    except Exception as exc:  # boundary: report the sink, go on with the others
        return Delivery("journal", "journald", False, f"sending failed: {exc}")
    while True:
        try:
            if found(alert_id):
                took = time.monotonic() - start
                return Delivery(
                    "journal", "journald", True, f"read back by KCRASHD_ALERT_ID={alert_id}", took
                )
        except Exception as exc:  # no journal to read (no permission, no files)
            return Delivery("journal", "journald", False, f"sent, but cannot read it back: {exc}")
        if time.monotonic() - start > wait:
            return Delivery(
                "journal",
                "journald",
                False,
                f"sent, but not in the journal after {wait:g} s (Storage=none? rate limited?)",
                time.monotonic() - start,
            )
        time.sleep(0.05)


def to_hooks(alert: Alert, alert_id: str, config: Config) -> List[Delivery]:
    from kcrashd.sinks.hooks import list_hooks, run_hooks

    directory = config.hooks.directory
    if not list_hooks(directory):
        return [Delivery("hook", directory, None, "no executable hooks here (hooks.directory)")]
    out = []
    start = time.monotonic()
    outcomes = run_hooks(directory, config.hooks.timeout_seconds, alert, alert_id)
    took = time.monotonic() - start  # the whole pass: hooks run one after the other
    for path, code, error in outcomes:
        if error:
            out.append(Delivery("hook", path, False, error, took))
        else:
            out.append(Delivery("hook", path, True, f"exit status {code}", took))
    return out


def record(state: Any, alert: Alert, alert_id: str, boot_id: Optional[str]) -> int:
    """The alert's row in state.db; returns how many test alerts are recorded now."""
    with state.transaction() as c:
        alert_store.insert_alert(c, alert_id, alert, boot_id)
    row = state.conn.execute("SELECT COUNT(*) FROM alerts WHERE type=?", (ALERT_TYPE,))
    return int(row.fetchone()[0])


def series_line(count: int) -> str:
    return f'{COUNTER}{{type="{ALERT_TYPE}"}} {count}'


_SERIES = re.compile(rf'^{COUNTER}\{{type="{ALERT_TYPE}"\}} \S+$', re.M)
_LAST = re.compile(r"^kcrashd_last_alert_timestamp_seconds \S+$", re.M)


def updated_text(old: Optional[str], state: Any, count: int, now: float) -> str:
    """The textfile with the new count. The daemon's file is kept as it is but for the two
    samples an alert changes (its watcher values are not in state.db); without one, every
    family is collected from state.db like the daemon's metrics job does."""
    if old is not None and _SERIES.search(old):
        text = _SERIES.sub(series_line(count), old)
        return _LAST.sub(f"kcrashd_last_alert_timestamp_seconds {now:.3f}", text)
    from kcrashd.sinks.metrics import render
    from kcrashd.sinks.metrics_job import collect, read_status

    state_dir = os.path.dirname(os.path.abspath(state.path))
    return render(collect(state, read_status(state), None, state_dir, now))


def to_metrics(state: Any, count: int, config: Config, root: Optional[Root] = None) -> Delivery:
    from kcrashd.sinks.metrics import TEXTFILE_NAME, write_textfile

    root = root or Root("/")
    directory = config.metrics.textfile_directory
    if not directory:
        return Delivery("metrics", "-", None, "metrics.textfile_directory is off")
    path = os.path.join(directory, TEXTFILE_NAME)
    if not root.is_dir(directory):
        return Delivery("metrics", path, None, f"{directory} does not exist (no node_exporter)")
    start = time.monotonic()
    try:
        text = updated_text(root.read_optional(path), state, count, time.time())
        write_textfile(directory, text)
        back = root.read_optional(path) or ""
    except OSError as exc:
        return Delivery("metrics", path, False, f"writing failed: {exc}")
    took = time.monotonic() - start
    line = series_line(count)
    if line in back.splitlines():
        return Delivery("metrics", path, True, line, took)
    return Delivery("metrics", path, False, f"{line} not found in the file written", took)
