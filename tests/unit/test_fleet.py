"""The fleet view's pieces without a journal: who wrote an entry, --since, and the folding of
alerts into crashes and readiness (alerts from kcrashd's own builders, hosts synthetic)."""

from __future__ import annotations

import datetime
import uuid
from typing import List, Optional

import pytest

from kcrashd.cli.fleet_render import few, render
from kcrashd.fleet.entries import WANTED, AlertEntry, written_by_kcrashd
from kcrashd.fleet.view import FleetView
from kcrashd.fleet.window import parse_since
from kcrashd.model import Alert
from tests import fleet_journals as fj

OLD, NEW = fj.OLD, fj.NEW


# --- who wrote it ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uid, transport, comm, exe, cmdline",
    [
        ("0", "journal", "kcrashd", "/usr/bin/python3.11", "/usr/bin/python3 /usr/bin/kcrashd run"),
        ("0", "journal", "python", "/usr/bin/python3.11", "/opt/venv/bin/python -m kcrashd run"),
        ("0", "journal", "python3", "/usr/bin/python3.11", "python3 -I -mkcrashd postmortem"),
        ("0", "journal", "python3", "/usr/bin/python3.11", "python3 -X dev /usr/bin/kcrashd run"),
    ],
)
def test_kcrashd_as_root_is_trusted(uid, transport, comm, exe, cmdline):
    assert written_by_kcrashd(uid, transport, comm, exe, cmdline)


@pytest.mark.parametrize(
    "uid, transport, comm, exe, cmdline",
    [
        # not root: anything else may be the same
        ("1000", "journal", "kcrashd", "/usr/bin/python3.11", "/usr/bin/kcrashd run"),
        ("65534", "journal", "python", "/usr/bin/python3.11", "python -m kcrashd run"),
        # root, another program
        ("0", "journal", "logger", "/usr/bin/logger", "logger --journald"),
        ("0", "journal", "python3", "/usr/bin/python3.11", "python3 -c import kcrashd"),
        ("0", "journal", "python3", "/usr/bin/python3.11", "python3 -m kcrashdx run"),
        ("0", "journal", "python3", "/usr/bin/python3.11", "python3 /tmp/kcrashd.py"),
        ("0", "journal", "sh", "/usr/bin/dash", "sh /usr/bin/kcrashd"),
        # root, kcrashd's name, but not the native protocol kcrashd uses
        ("0", "syslog", "kcrashd", "/usr/bin/python3.11", "/usr/bin/kcrashd run"),
        ("0", "stdout", "kcrashd", "/usr/bin/python3.11", "/usr/bin/kcrashd run"),
        # journald could not read the sender's process: nothing proves it was kcrashd
        ("0", "journal", None, None, None),
        (None, "journal", "kcrashd", None, None),
    ],
)
def test_look_alikes_are_not_trusted(uid, transport, comm, exe, cmdline):
    assert not written_by_kcrashd(uid, transport, comm, exe, cmdline)


# --- --since ----------------------------------------------------------------------------------

NOW = datetime.datetime(2024, 3, 10, 15, 30).timestamp()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("7d", NOW - 7 * 86400),
        ("-12h", NOW - 12 * 3600),
        ("30m", NOW - 1800),
        ("2w", NOW - 14 * 86400),
        ("@1700000000", 1700000000.0),
        ("today", datetime.datetime(2024, 3, 10).timestamp()),
        ("yesterday", datetime.datetime(2024, 3, 9).timestamp()),
        ("2024-03-01", datetime.datetime(2024, 3, 1).timestamp()),
        ("2024-03-01 12:00", datetime.datetime(2024, 3, 1, 12).timestamp()),
        ("2024-03-01T12:00:30", datetime.datetime(2024, 3, 1, 12, 0, 30).timestamp()),
    ],
)
def test_since_forms(text, expected):
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["last week", "7x", "2024-13-01", "@soon", ""])
def test_since_rejects_what_it_cannot_read_and_says_what_works(text):
    with pytest.raises(ValueError, match="'7d'"):
        parse_since(text, NOW)


# --- the view ---------------------------------------------------------------------------------

HOSTS = fj.hosts(6)
REPORTS = fj.distro_reports()
S_OLD, S_NEW = REPORTS[0], REPORTS[2]


def e(alert: Alert, host: fj.Host, t: float, boot: Optional[str] = None) -> AlertEntry:
    """An AlertEntry as entries.read_alerts gives it for the journal entry of `alert`."""
    fields = {k: v for k, v in alert.fields.items() if k in WANTED[alert.type]}
    return AlertEntry(alert.type, t, host.machine, host.hostname, boot, fields)


def fleet_story() -> List[AlertEntry]:
    return [e(ev.alert, ev.host, ev.realtime, ev.boot) for ev in fj.story(HOSTS, S_OLD, S_NEW)]


def _by_signature(doc):
    return {c["signature"]: c for c in doc["crashes"]}


def test_crashes_grouped_by_signature_across_hosts_and_boots():
    doc = FleetView().add_all(fleet_story()).document()
    assert doc["schema"] == 1
    assert doc["hosts"] == 5 and doc["hosts_with_crashes"] == 5
    crashes = _by_signature(doc)
    assert set(crashes) == {S_OLD.signature, S_NEW.signature}
    old, new = crashes[S_OLD.signature], crashes[S_NEW.signature]
    assert (old["hosts"], old["boots"], old["alerts"]) == (3, 3, 5)  # h2's repeats: one boot
    assert old["host_names"] == ["node0001", "node0002", "node0005"]
    assert (old["title"], old["kind"]) == (S_OLD.title, S_OLD.kind)
    assert (old["function"], old["module"]) == (S_OLD.function, S_OLD.module)
    assert old["kernels"] == [{"kernel": OLD, "hosts": 3}]
    assert (old["first_seen"], old["last_seen"]) == (100, 300)
    # h3's live report and its previous_boot_crashed are the same boot
    assert (new["hosts"], new["boots"], new["alerts"]) == (4, 4, 5)
    assert new["kernels"] == [{"kernel": NEW, "hosts": 4}]
    assert doc["crashes"][0]["signature"] == S_NEW.signature  # most hosts first


def test_a_crash_that_came_with_a_kernel_says_new_in_that_kernel():
    crashes = _by_signature(FleetView().add_all(fleet_story()).document())
    assert crashes[S_NEW.signature]["new_in"] == {"kernel": NEW, "hosts": 4, "of": 4}
    assert crashes[S_OLD.signature]["new_in"] is None  # on the fleet's first kernel


def test_not_new_when_the_crash_also_happens_on_the_older_kernel():
    h5 = HOSTS[4]
    later = e(fj.crash_report_alert(S_NEW, "b" * 32, OLD), h5, 3000, "b" * 32)
    crashes = _by_signature(FleetView().add_all(fleet_story() + [later]).document())
    new = crashes[S_NEW.signature]
    assert new["new_in"] is None
    assert new["kernels"] == [{"kernel": NEW, "hosts": 4}, {"kernel": OLD, "hosts": 1}]


def test_not_new_on_hosts_that_never_ran_another_kernel():
    # A host first seen on NEW (installed with it) had no kernel change.
    fresh = HOSTS[5]
    b = uuid.uuid4().hex
    story = [
        e(fj.readiness_summary([], [], NEW), fresh, 10, b),
        e(fj.crash_report_alert(S_NEW, b, NEW), fresh, 20, b),
    ]
    (crash,) = FleetView().add_all(story).document()["crashes"]
    assert crash["new_in"] is None


def test_readiness_is_each_hosts_latest_word():
    ready = FleetView().add_all(fleet_story()).document()["readiness"]
    assert ready["hosts_reporting"] == 5
    # h1 was CRIT on OLD and fine on NEW; h2 was CRIT then improved; h3 is still CRIT
    assert ready["not_ready"] == 1
    checks = {c["check"]: c for c in ready["checks"]}
    assert set(checks) == {"kdump_loaded", "kfence"}
    assert (checks["kdump_loaded"]["crit"], checks["kdump_loaded"]["crit_hosts"]) == (
        1,
        ["node0003"],
    )
    assert (checks["kfence"]["crit"], checks["kfence"]["warn"]) == (0, 1)
    assert checks["kfence"]["warn_hosts"] == ["node0004"]


def test_a_summary_that_does_not_name_its_checks_still_counts_the_host_not_ready():
    h = HOSTS[0]
    alert = fj.readiness_summary(["kdump_loaded"], [], OLD)
    old_style = {k: v for k, v in alert.fields.items() if k not in ("crit_checks", "warn_checks")}
    doc = (
        FleetView().add_all([e(Alert(alert.type, alert.severity, "", old_style), h, 1)]).document()
    )
    assert doc["readiness"]["not_ready"] == 1
    assert doc["readiness"]["checks"][0]["check"] == "?"


def test_hosts_with_the_same_name_stay_apart():
    twins = [fj.Host(uuid.uuid4().hex, "localhost") for _ in range(2)]
    story = [
        e(fj.crash_report_alert(S_OLD, "c" * 32, OLD), h, i, "c" * 32) for i, h in enumerate(twins)
    ]
    (crash,) = FleetView().add_all(story).document()["crashes"]
    assert crash["hosts"] == 2
    assert sorted(crash["host_names"]) == sorted(f"localhost ({h.machine[:12]})" for h in twins)


def test_text_names_a_few_hosts_then_a_count_and_says_new_in():
    doc = FleetView().add_all(fleet_story()).document()
    doc["source"] = {"journal_dir": "/var/log/journal/remote", "since": None}
    doc["entries"] = {"used": 20, "ignored": 2, "ignored_examples": ["uid 1000, comm logger"]}
    text = "\n".join(render(doc, shown=2))
    assert text.startswith(
        "kcrashd fleet: 5 hosts; 2 crash signatures on 5 hosts; 1 host not ready"
    )
    assert f"new in {NEW}: 4 hosts" in text
    assert "hosts:      node0001, node0002 and 2 more" in text
    assert "ignored 2 entries that kcrashd did not write" in text
    assert "uid 1000, comm logger" in text
    assert "kdump_loaded" in text and "CRIT on node0003" in text
    assert few(["a", "b", "c"], 3) == "a, b, c"
    assert few(["a", "b", "c", "d"], 1) == "a and 3 more"
