"""Short, honest versions of the fault campaign (benchmarks/fault_campaign.py runs the full
ones): each scenario runs `kcrashd run` against a private, real systemd-journald in its own
mount namespace (tests.faults), with oopses written to the real /dev/kmsg."""

from __future__ import annotations

import pytest

from tests.faults.harness import run_scenario

pytestmark = [pytest.mark.journald, pytest.mark.root, pytest.mark.slow]


def test_journald_killed_right_after_an_oops_neither_loses_nor_duplicates():
    r = run_scenario("journald_kill", {"trials": 3, "max_delay": 0.4, "linger": 3})
    assert (r["lost"], r["duplicated"]) == (0, 0), r
    assert r["daemon_alive"] and r["exit_code"] == 0, r


def test_an_alert_journald_has_not_stored_is_owed_in_status_and_stored_once():
    r = run_scenario("journald_stopped", {"seconds": 6})
    assert r["oops_seen_before_stop"] and r["daemon_alive"], r
    # the crash alert, and the start-up summary when the readiness run ended meanwhile
    assert r["owed_while_stopped"] in (1, 2), r
    owed = f"{r['owed_while_stopped']} not yet stored by journald"
    assert r["status_line"] and owed in r["status_line"], r
    assert r["alerts"] == 1 and r["owed_after"] == 0, r


def test_a_full_state_disk_does_not_stop_crash_alerts():
    r = run_scenario("full_disk", {"size": "2m"})
    assert r["alert_before_full"] and r["alert_while_full"], r
    assert r["daemon_alive_while_full"] and r["state_degraded_alerts"] == 1, r
    assert r["recovered"] and r["alert_after_recovery"], r
    # the writes made while full reached the disk: the repeat was counted, nothing owed
    assert r["report_count_on_disk"] == 2 and r["owed_on_disk"] == 0, r
    assert r["alert_rows_on_disk"] == 3 and r["duplicates"] == 0 and r["exit_code"] == 0, r


def test_a_damaged_state_db_is_replaced_without_a_crash_loop_or_resends():
    r = run_scenario("corrupt_db", {"variants": ["truncated", "unreadable", "immutable"]})
    for variant, v in r["variants"].items():
        assert v["ready"] and v["alive"] and v["new_alert"], (variant, v)
        assert v["state_degraded_alerts"] == 1 and v["resent"] == 0, (variant, v)
        assert v["exit_code"] == 0 and not v["crash_loop"], (variant, v)
        if variant == "immutable":  # cannot be moved: state kept in memory meanwhile
            assert v["moved_aside"] == [] and v["in_memory"], v
        else:
            assert v["fresh_db"] and len(v["moved_aside"]) >= 1, (variant, v)
            assert not v["in_memory"], (variant, v)


def test_entries_forged_by_another_user_do_not_suppress_a_real_alert():
    r = run_scenario("forged", {})
    assert r["forged_entries"] == 2 and r["forged_ids"] == ["keyed", "unkeyed"], r
    assert r["real_alerts"] == 1 and r["forged_the_real_id"], r


def test_rotate_and_vacuum_during_a_burst_loses_no_alert():
    r = run_scenario("rotate_vacuum", {"oopses": 12, "wait": 40})
    assert r["sent"] == r["oopses"] and r["duplicated"] == 0 and r["daemon_alive"], r
    assert r["after_rotation_alerted"] == r["after_rotation"] == 5, r


def test_a_follower_whose_file_is_vacuumed_reads_on():
    """(it read nothing more, ever: in CI a burst's last 5 oopses were never alerted)"""
    r = run_scenario("vacuum_position", {})
    assert r["read_position"] and r["read_after_vacuum"], r
    assert "removed" in r["note"], r


def test_line_loss_in_a_storm_gives_no_new_first_alerts():
    r = run_scenario("storm", {"copies": 4})
    assert r["copies_cut"] == 2 and r["journald_missed_notes"] >= 2, r
    assert r["first_alerts"] == 1 and r["reports_counted"] == 4 and r["daemon_alive"], r
