"""The incidents table: one row per (boot, signature), merged evidence, recurrence."""

from __future__ import annotations

import hashlib

from kcrashd.model import CrashReport, Evidence, Frame
from kcrashd.store import incidents
from kcrashd.store.state import StateDB
from tests.helpers import run_python


def _report(**kw) -> CrashReport:
    base = dict(
        kind="page_fault",
        title="BUG: kernel NULL pointer dereference in foo_ioctl",
        function="foo_ioctl",
        module="foo",
        signature="page_fault:foo_ioctl:do_vfs_ioctl",
        rip=Frame("foo_ioctl", 0x25, 0x50, "foo", None),
        frames=(Frame("foo_ioctl", 0x25, 0x50, "foo"), Frame("do_vfs_ioctl", 1, 2)),
        taint=(("O", "externally-built module"),),
        lines=("BUG: kernel NULL pointer dereference, address: 0000000000000000",),
    )
    base.update(kw)
    return CrashReport(**base)


def test_upsert_creates_once_and_merges_evidence(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    with db.transaction() as conn:
        iid, created = incidents.upsert_incident(
            conn, _report(), "boot1", [Evidence("pstore", "/sys/fs/pstore/dmesg-ramoops-0")]
        )
    assert created
    with db.transaction() as conn:
        iid2, created2 = incidents.upsert_incident(
            conn,
            _report(),
            "boot1",
            [
                Evidence("kdump", "/var/crash/x"),
                Evidence("pstore", "/sys/fs/pstore/dmesg-ramoops-0"),
            ],
            vmcore="/var/crash/x/dump.1",
        )
    assert (iid2, created2) == (iid, False)
    inc = incidents.get_incident(db, iid)
    assert [e.source for e in inc.evidence] == ["pstore", "kdump"]
    assert inc.vmcore == "/var/crash/x/dump.1"
    assert inc.report.rip.function == "foo_ioctl"
    assert inc.report.taint == (("O", "externally-built module"),)
    assert incidents.get_incident(db, iid[:5]).incident_id == iid
    assert incidents.get_incident(db, "nope") is None
    db.close()


def test_recurrence_counts_distinct_boots(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    with db.transaction() as conn:
        for boot in ("b1", "b2", "b2", "b3"):
            incidents.upsert_incident(conn, _report(), boot, [Evidence("journal")])
        incidents.upsert_incident(conn, _report(signature="other"), "b1", [])
    assert incidents.recurrence(db, "page_fault:foo_ioctl:do_vfs_ioctl") == 3
    assert incidents.recurrence(db, "other") == 1
    listed = incidents.list_incidents(db)
    assert len(listed) == 4
    assert sorted(i.recurrence for i in listed) == [1, 3, 3, 3]
    db.close()


def test_alert_marked_once(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    with db.transaction() as conn:
        iid, _ = incidents.upsert_incident(conn, _report(), None, [])
        assert incidents.mark_alerted(conn, iid)
        assert not incidents.mark_alerted(conn, iid)
    assert incidents.is_alerted(db, iid)
    db.close()


def test_better_report_replaces_a_corrupted_one(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    with db.transaction() as conn:
        iid, _ = incidents.upsert_incident(conn, _report(corrupted=True, frames=()), "b", [])
        incidents.upsert_incident(conn, _report(), "b", [])
    assert not incidents.get_incident(db, iid).report.corrupted
    db.close()


def test_incident_ids_are_unchanged_and_need_no_openssl():
    # Ids stored by earlier versions (made with hashlib.sha1) must still match.
    boot, signature = "0123456789abcdef0123456789abcdef", "oops:ext4_readdir:0x1a"
    assert incidents.incident_id_for(boot, signature) == "ff8c54e0bbb2"
    assert incidents.incident_id_for(None, "panic:x") == hashlib.sha1(b"-|panic:x").hexdigest()[:12]
    code = (
        "import sys\n"
        "from kcrashd.store import incidents\n"
        "incidents.incident_id_for('b', 's')\n"
        "print('_hashlib' in sys.modules)\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"  # OpenSSL's libcrypto: 3.4 MiB of RSS
