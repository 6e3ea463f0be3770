"""Which report of a log is the crash: the cause of the panic, not the panic line."""

from __future__ import annotations

from kcrashd.model import CrashReport
from kcrashd.postmortem.boots import boot_for_time as _boot_for_time
from kcrashd.postmortem.collect import crash_report
from kcrashd.sources.previous_boot import Boot


def r(kind, first, last, panicked=False):
    return CrashReport(kind=kind, title=kind, first_line=first, last_line=last, panicked=panicked)


def test_the_report_before_the_panic_is_the_cause():
    warn, oops, panic = r("warning", 1, 20), r("page_fault", 100, 140), r("panic", 150, 152)
    assert crash_report([warn, oops, panic]) is oops


def test_a_panic_far_from_any_report_is_its_own_cause():
    warn, panic = r("warning", 1, 20), r("panic", 900, 901)
    assert crash_report([warn, panic]) is panic


def test_without_a_panic_the_first_fatal_report():
    assert crash_report([r("warning", 1, 2), r("gpf", 5, 9), r("bug", 20, 30)]).kind == "gpf"
    assert crash_report([r("warning", 1, 2), r("oom_kill", 3, 4)]) is None
    assert crash_report([r("hung_task", 1, 2, panicked=True)]).kind == "hung_task"


def test_artifacts_are_matched_to_boots_by_time():
    boots = [Boot("a", 100.0, 200.0), Boot("b", 300.0, 400.0), Boot("c", 500.0, 600.0)]
    assert _boot_for_time(350.0, boots, "c", "b") == "b"
    assert _boot_for_time(150.0, boots, "c", "b") == "a"  # an older boot's record
    assert _boot_for_time(550.0, boots, "c", "b") == "b"  # archive copy made this boot
    assert _boot_for_time(550.0, boots, "c", "b", keep_current=True) == "c"  # live oops dump
    assert _boot_for_time(None, boots, "c", "b") == "b"
    assert _boot_for_time(50.0, [], "c", "b") == "b"
