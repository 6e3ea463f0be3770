"""Facts of `kcrashd incidents show` (kcrashd.postmortem.view) over a real state file."""

from __future__ import annotations

from kcrashd.cli import incidents_render as render
from kcrashd.host.root import Root
from kcrashd.model import CrashReport, Evidence, Frame, Incident
from kcrashd.postmortem import view
from kcrashd.postmortem.next_steps import NextSteps
from kcrashd.store import incidents
from kcrashd.store.state import StateDB


def _report() -> CrashReport:
    return CrashReport(
        kind="gpf",
        title="general protection fault in bar_read",
        function="bar_read",
        module="bar",
        signature="gpf:bar_read",
        rip=Frame("bar_read", 0x10, 0x80, "bar"),
        taint=(("G", "proprietary module"),),
        panicked=True,
        realtime=1_700_000_000.0,
    )


def test_describe_and_render_tell_the_same_facts(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    with db.transaction() as c:
        iid, _ = incidents.upsert_incident(
            c, _report(), "b1", [Evidence("kdump", str(tmp_path), "debian kdump dump")]
        )
    inc = incidents.get_incident(db, iid)
    now = 1_700_000_000.0 + 3 * 3600
    facts = view.describe(db.conn, inc, str(tmp_path), None, Root("/"), now=now)
    assert facts["kind_meaning"].startswith("general protection fault")
    assert facts["fault"] == "bar_read+0x10/0x80 [bar]"
    assert facts["ended_boot"] is True and facts["tainted"] is False
    assert facts["evidence"][0]["exists"] is True
    assert facts["when_text"].endswith("(3 h 0 min ago)")
    assert facts["alerts"] == [] and facts["alert_owed"] == []
    lines = render.render_show(facts, NextSteps(), inc.report)
    assert "  guilty:      bar_read in module bar" in lines
    assert "  alerted:     no alert was sent for it" in lines
    assert render.list_document([inc])["incidents"][0]["sources"] == ["kdump"]
    db.close()


def test_proc_modules_only_from_a_snapshot_of_the_crashed_boot():
    inc = Incident("i", "ab12", "oops", "t", "s", None)
    snap = {"items": {"boot_id": {"value": "AB12"}, "modules": {"value": "m 1 0 - Live 0x0\n"}}}
    assert view.proc_modules(inc, snap) == "m 1 0 - Live 0x0\n"
    snap["items"]["boot_id"]["value"] = "cd34"
    assert view.proc_modules(inc, snap) is None
