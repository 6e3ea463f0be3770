"""Install test: the built .deb in a Debian 12 root, booted with systemd-nspawn.

A pristine `debootstrap --variant=minbase` bookworm root is cached outside the checkout
(KCRASHD_TEST_CACHE, default /var/cache/kcrashd-test), keyed by suite, variant, package list
and mirror, and copied for each run. The package is installed with apt so Debian's own
python3-* libraries resolve; then the root is booted and a unit inside runs CHECK_SCRIPT
after multi-user.target: it records what the service did into /root/kctest/out and powers
the container off. The tests below judge those records.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Dict, Sequence

import pytest

from kcrashd.alerts.types import message_id
from tests.conftest import PROJECT, require_tool

pytestmark = [pytest.mark.slow, pytest.mark.root]

SUITE = "bookworm"
VARIANT = "minbase"
INCLUDE = ("systemd", "systemd-sysv", "dbus", "python3")
MIRROR = "http://deb.debian.org/debian"
CACHE = Path(os.environ.get("KCRASHD_TEST_CACHE", "/var/cache/kcrashd-test"))
SUMMARY_ID = message_id("readiness_summary")
RESET_ID = message_id("unexplained_reset")
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"

# Runs inside the booted container. Every step is bounded; results are plain files.
CHECK_SCRIPT = r"""#!/bin/sh
O=/root/kctest/out
mkdir -p $O
t() { timeout 60 "$@"; }
show() {
    systemctl show kcrashd -p ActiveState,SubState,Type,NRestarts,MainPID,Result \
        -p ExecMainStatus,ExecMainCode,StatusText,WatchdogUSec > "$O/$1" 2>&1
}
wait_active() {
    for i in $(seq 1 150); do
        [ "$(systemctl is-active kcrashd)" = active ] && return 0
        sleep 0.2
    done
    return 1
}
wait_file() {
    for i in $(seq 1 150); do [ -s "$1" ] && return 0; sleep 0.2; done
    return 1
}

wait_active
show show-start
systemctl is-enabled kcrashd > $O/is-enabled 2>&1
grep -E '^CapBnd' /proc/$(systemctl show -P MainPID kcrashd)/status > $O/caps
grep -E '^CapBnd' /proc/1/status > $O/caps-container
t journalctl --list-catalog > $O/catalog-installed 2>&1

# The start-up alert and its catalog text.
for i in $(seq 1 150); do
    t journalctl -q -o json MESSAGE_ID=@SUMMARY_ID@ > $O/summary.json 2>&1
    [ -s $O/summary.json ] && break
    sleep 0.2
done
SYSTEMD_COLORS=0 t journalctl -x -q --no-pager MESSAGE_ID=@SUMMARY_ID@ > $O/summary-x.txt 2>&1

t kcrashd check --json > $O/check.json 2> $O/check.err
echo $? > $O/check.rc
t kcrashd status --json > $O/status.json 2> $O/status.err
# This boot's id as the container sees it, and as the daemon's private /proc shows it.
cat /proc/sys/kernel/random/boot_id > $O/boot-id
nsenter -t "$(systemctl show -P MainPID kcrashd)" -m cat /proc/sys/kernel/random/boot_id \
    > $O/boot-id-daemon-proc 2>&1
t journalctl -q -o json MESSAGE_ID=@RESET_ID@ > $O/reset.json 2>&1
wait_file @TEXTFILE_DIR@/kcrashd.prom && cp @TEXTFILE_DIR@/kcrashd.prom $O/
stat -c '%a %U' @TEXTFILE_DIR@/kcrashd.prom > $O/prom-mode 2>&1

sleep 3  # still up a while later, same process, no restarts
show show-later

# kcrashd fix as an admin runs it (the test made this root's journal volatile): the dry
# run changes nothing, --apply fixes, check shows it, --undo gives /etc back as it was.
etc_state() { find /etc -xdev -printf '%p %m %y %l\n' | sort; \
    find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum; }
etc_state > $O/etc-before-fix
t kcrashd check --json > $O/check-before-fix.json 2>&1
t kcrashd fix --json > $O/fix-dry.json 2> $O/fix-dry.err
echo $? > $O/fix-dry.rc
etc_state > $O/etc-after-dry
t kcrashd fix --apply --json > $O/fix-apply.json 2> $O/fix-apply.err
echo $? > $O/fix-apply.rc
cat /etc/sysctl.d/90-kcrashd.conf /etc/systemd/journald.conf.d/90-kcrashd.conf \
    > $O/fix-files 2>&1
ls -d /var/log/journal > $O/journal-dir 2>&1
t kcrashd check --json > $O/check-after-fix.json 2>&1
t kcrashd fix --undo --json > $O/fix-undo.json 2> $O/fix-undo.err
echo $? > $O/fix-undo.rc
etc_state > $O/etc-after-undo

# The test alert through the installed sinks.
t kcrashd alert --test --json > $O/alert-test.json 2> $O/alert-test.err
echo $? > $O/alert-test.rc

t systemctl reload kcrashd > $O/reload.err 2>&1
echo $? > $O/reload.rc
sleep 1
show show-reload

# A bad configuration on reload is refused; the service keeps running on the old one.
printf 'bogus_key: 1\nmetrics:\n  interval_seconds: -5\n' > /etc/kcrashd/conf.d/99-bad.yaml
t systemctl reload kcrashd > $O/reload-bad.err 2>&1
echo $? > $O/reload-bad.rc
sleep 2
show show-reload-bad
rm -f /etc/kcrashd/conf.d/99-bad.yaml

t systemctl stop kcrashd > $O/stop.err 2>&1
echo $? > $O/stop.rc
show show-stop
t journalctl -u kcrashd --no-pager -o cat > $O/unit.log 2>&1
t journalctl -u kcrashd --no-pager -o json > $O/unit.json 2>&1
t journalctl -u kcrashd --no-pager -o json -p err > $O/unit-err.json 2>&1

DEBIAN_FRONTEND=noninteractive t apt-get purge -y kcrashd > $O/purge.log 2>&1
echo $? > $O/purge.rc
find / -xdev -name '*kcrashd*' -not -path '/root/kctest/*' -not -path '/proc/*' \
    > $O/left-after-purge 2>&1
t journalctl --list-catalog > $O/catalog-after-purge 2>&1
systemctl show -P LoadState kcrashd > $O/loadstate-after-purge 2>&1

# Installing again starts the service (dh_installsystemd), with dependencies in place.
DEBIAN_FRONTEND=noninteractive t apt-get install -y /root/kctest/kcrashd.deb \
    > $O/reinstall.log 2>&1
echo $? > $O/reinstall.rc
wait_active
show show-reinstall
systemctl is-system-running > $O/system-state 2>&1
echo done > $O/done
systemctl poweroff
"""

CHECK_UNIT = """[Unit]
Description=kcrashd install test
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/root/kctest/check.sh
StandardOutput=journal+console
"""


def _log(request, line: str) -> None:
    """Print past pytest's capture: the duration is a figure we report."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(line, flush=True)


def _run(argv, timeout: float, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def pristine_root(include: Sequence[str] = INCLUDE) -> Path:
    """The cached debootstrap root with `include`, made once per machine (about 45 s for
    INCLUDE) under a lock."""
    key = hashlib.sha256(f"{SUITE} {VARIANT} {','.join(include)} {MIRROR}".encode()).hexdigest()
    path = CACHE / f"{SUITE}-{key[:12]}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (path / ".complete").exists():
            return path
        tmp = CACHE / f".{path.name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        argv = [require_tool("debootstrap"), f"--variant={VARIANT}"]
        argv += [f"--include={','.join(include)}", SUITE, str(tmp), MIRROR]
        r = _run(argv, timeout=900)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        (tmp / ".complete").write_text(" ".join(argv) + "\n")
        shutil.rmtree(path, ignore_errors=True)
        tmp.rename(path)
        return path


def nspawn(root: Path, *argv: str, timeout: float) -> subprocess.CompletedProcess:
    base = [require_tool("systemd-nspawn"), "-q", "-D", str(root), "--register=no", "--keep-unit"]
    return _run([*base, *argv], timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def run(request, tmp_path_factory) -> Dict[str, str]:
    """Build, install, boot, check; returns the result files by name."""
    times: Dict[str, float] = {}
    start = last = time.monotonic()

    def lap(name: str) -> None:
        nonlocal last
        now = time.monotonic()
        times[name] = now - last
        last = now

    work = tmp_path_factory.mktemp("install")
    r = _run(["bash", str(PROJECT / "packaging" / "build-deb.sh"), str(work)], timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (deb,) = work.glob("kcrashd_*_all.deb")
    lap("build .deb")

    cached = pristine_root()
    lap("debootstrap root (cache)")
    root = work / "root"
    r = _run(["cp", "-a", "--reflink=auto", str(cached), str(root)], timeout=300)
    assert r.returncode == 0, r.stderr
    lap("copy root")

    kctest = root / "root" / "kctest"  # not /tmp: nspawn mounts a tmpfs there
    kctest.mkdir(parents=True)
    shutil.copy(deb, kctest / "kcrashd.deb")
    # node_exporter's textfile directory, as prometheus-node-exporter would leave it.
    (root / TEXTFILE_DIR.lstrip("/")).mkdir(parents=True)
    # A volatile journal, for kcrashd fix to make persistent.
    (root / "etc/systemd/journald.conf").write_text("[Journal]\nStorage=volatile\n")
    shutil.rmtree(root / "var/log/journal", ignore_errors=True)
    install = "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
    install += "/root/kctest/kcrashd.deb"
    r = nspawn(root, "/bin/sh", "-c", install, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    (kctest / "apt-install.log").write_text(r.stdout)
    lap("apt install")

    script = CHECK_SCRIPT.replace("@SUMMARY_ID@", SUMMARY_ID).replace("@RESET_ID@", RESET_ID)
    (kctest / "check.sh").write_text(script.replace("@TEXTFILE_DIR@", TEXTFILE_DIR))
    (kctest / "check.sh").chmod(0o755)
    units = root / "etc" / "systemd" / "system"
    (units / "kctest.service").write_text(CHECK_UNIT)
    (units / "multi-user.target.wants").mkdir(exist_ok=True)
    (units / "multi-user.target.wants" / "kctest.service").symlink_to(
        "/etc/systemd/system/kctest.service"
    )
    r = nspawn(root, "-b", "--console=pipe", timeout=300)
    (kctest / "console.log").write_text(r.stdout + r.stderr)
    lap("boot and checks")

    out = kctest / "out"
    results = {p.name: p.read_text(errors="replace") for p in out.iterdir()} if out.exists() else {}
    results["console.log"] = r.stdout + r.stderr
    results["apt-install.log"] = (kctest / "apt-install.log").read_text()
    assert results.get("done"), (
        "the check script did not finish:\n" + results["console.log"][-4000:]
    )
    total = time.monotonic() - start
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
    _log(request, f"\ninstall test: {total:.1f} s ({phases})")
    yield results
    shutil.rmtree(root, ignore_errors=True)


def _props(text: str) -> Dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_dependencies_resolved_from_debian(run):
    log = run["apt-install.log"]
    for pkg in ("python3-systemd", "python3-pyudev", "python3-yaml"):
        assert re.search(rf"^(Setting up|Unpacking) {pkg}[: ]", log, re.M), pkg


def test_service_reaches_active_and_stays_up(run):
    start, later = _props(run["show-start"]), _props(run["show-later"])
    assert start["Type"] == "notify"
    assert (start["ActiveState"], start["SubState"]) == ("active", "running"), run["show-start"]
    assert (later["ActiveState"], later["SubState"]) == ("active", "running"), run["show-later"]
    assert later["MainPID"] == start["MainPID"] and later["NRestarts"] == "0"
    assert later["WatchdogUSec"] not in ("0", "infinity")
    assert run["is-enabled"].strip() == "enabled"


def test_sandbox_is_applied(run):
    # The daemon's bounding set is the unit's CapabilityBoundingSet, within what the
    # container itself has (nspawn keeps CAP_SYSLOG and CAP_SYS_RAWIO from its payload).
    bits = {"CAP_DAC_READ_SEARCH": 2, "CAP_SYS_PTRACE": 19, "CAP_SYS_ADMIN": 21}
    bits.update({"CAP_SYS_RAWIO": 17, "CAP_SYSLOG": 34})
    unit_set = sum(1 << b for b in bits.values())
    daemon = int(run["caps"].split()[1], 16)
    container = int(run["caps-container"].split()[1], 16)
    assert daemon == unit_set & container
    assert daemon != container  # really narrowed


def test_daemon_says_it_has_no_kernel_messages(run):
    status = json.loads(run["status.json"])
    text = json.dumps(status) + _props(run["show-later"])["StatusText"] + run["unit.log"]
    assert re.search(r"container|no kernel messages|/dev/kmsg", text, re.I), text[:2000]


def test_the_daemon_follows_the_containers_boot_not_the_hosts(run):
    # The unit's private /proc (ProtectProc=) shows the host's boot id inside nspawn; the
    # daemon takes the boot id from the journal, so it is the container's boot.
    container = run["boot-id"].strip().replace("-", "")
    host = Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")
    assert container != host
    assert json.loads(run["status.json"])["boot_id"] == container, run["boot-id-daemon-proc"]
    # and no "previous boot ended without a clean shutdown" about the boot that is running
    resets = [json.loads(x) for x in run["reset.json"].splitlines() if x.startswith("{")]
    assert not [e for e in resets if e.get("KCRASHD_BOOT_ID") == container], resets


def test_check_runs_with_valid_json(run):
    from kcrashd.checks.registry import CHECKS

    doc = json.loads(run["check.json"])
    assert doc["schema"] == 1, run["check.json"]
    assert doc["exit_code"] == int(run["check.rc"]), run["check.err"]
    # the installed program runs every check the checkout has, and none of them breaks
    assert [r["id"] for r in doc["results"]] == [c.CHECK_ID for c in CHECKS]
    assert not [r for r in doc["results"] if r["status"] == "ERROR"], doc["results"]


def test_startup_alert_in_journal_with_catalog_text(run):
    entries = [json.loads(x) for x in run["summary.json"].splitlines() if x.startswith("{")]
    assert entries, run["summary.json"] + run["unit.log"][-3000:]
    entry = entries[0]
    assert entry["SYSLOG_IDENTIFIER"] == "kcrashd"
    assert entry["MESSAGE_ID"] == SUMMARY_ID
    assert entry["KCRASHD_TYPE"] == "readiness_summary"
    catalog = (PROJECT / "systemd" / "kcrashd.catalog").read_text()
    subject = re.search(rf"-- {SUMMARY_ID}\nSubject: (.*)\n", catalog).group(1)
    # journalctl -x prints the catalog entry under the message ("░░ Subject: ...").
    assert re.search(rf"^\S+ Subject: {re.escape(subject)}$", run["summary-x.txt"], re.M)
    assert SUMMARY_ID in run["catalog-installed"]
    assert "kcrashd started and checked whether this host can capture" in run["summary-x.txt"]


def test_reload_works(run):
    assert run["reload.rc"].strip() == "0", run["reload.err"]
    before, after = _props(run["show-later"]), _props(run["show-reload"])
    assert after["ActiveState"] == "active" and after["MainPID"] == before["MainPID"]


def test_bad_config_on_reload_is_refused_and_service_keeps_running(run):
    before, after = _props(run["show-later"]), _props(run["show-reload-bad"])
    assert after["ActiveState"] == "active", run["show-reload-bad"]
    assert after["MainPID"] == before["MainPID"] and after["NRestarts"] == "0"
    log = run["unit.log"]
    assert "99-bad.yaml" in log and "bogus_key" in log, log[-3000:]
    assert "interval_seconds" in log  # every error, not just the first


def test_metrics_textfile_written(run):
    assert run["prom-mode"].split() == ["644", "root"], run["prom-mode"]
    text = run["kcrashd.prom"]
    assert 'kcrashd_build_info{version="' in text
    r = _run([require_tool("promtool"), "check", "metrics"], timeout=60, input=text)
    assert r.returncode == 0, r.stdout + r.stderr


def test_stop_is_clean(run):
    assert run["stop.rc"].strip() == "0", run["stop.err"]
    stopped = _props(run["show-stop"])
    assert stopped["ActiveState"] == "inactive"
    assert stopped["Result"] == "success", run["show-stop"]
    assert stopped["ExecMainStatus"] == "0", run["show-stop"]


def test_no_component_failed_in_the_installed_program(run):
    # The installed program runs with Debian's python3-* versions without errors.
    log = run["unit.log"]
    assert "Traceback" not in log, log[-4000:]


def test_purge_leaves_nothing_behind(run):
    assert run["purge.rc"].strip() == "0", run["purge.log"]
    assert run["left-after-purge"].strip() == "", run["left-after-purge"]
    # The catalog database was rebuilt without kcrashd's entries (systemd's are still there).
    assert SUMMARY_ID not in run["catalog-after-purge"]
    assert "systemd" in run["catalog-after-purge"], run["catalog-after-purge"]
    assert run["loadstate-after-purge"].strip() == "not-found"


def test_install_enables_and_starts_the_service(run):
    assert run["reinstall.rc"].strip() == "0", run["reinstall.log"]
    again = _props(run["show-reinstall"])
    assert (again["ActiveState"], again["SubState"]) == ("active", "running"), run["show-reinstall"]


def _statuses(check_json: str) -> Dict[str, str]:
    return {r["id"]: r["status"] for r in json.loads(check_json)["results"]}


def _json_lines(text: str):
    return [json.loads(x) for x in text.splitlines() if x.startswith("{")]


def test_fix_applies_checks_and_undoes_in_the_booted_root(run):
    before = _statuses(run["check-before-fix.json"])
    assert before["journald_persistent"] == "WARN", run["check-before-fix.json"][:2000]
    assert run["fix-dry.rc"].strip() == "0", run["fix-dry.err"]
    assert run["etc-after-dry"] == run["etc-before-fix"]  # the dry run wrote nothing
    dry = json.loads(run["fix-dry.json"])
    assert any(f["path"] == "/etc/systemd/journald.conf.d/90-kcrashd.conf" for f in dry["files"])

    applied = json.loads(run["fix-apply.json"])
    items = {i["id"]: i for i in applied["items"]}
    journald = items["journald_persistent"]
    assert journald["result"] == "fixed: OK", journald
    assert ["systemctl", "restart", "systemd-journald.service"] in journald["commands"]
    assert run["journal-dir"].strip() == "/var/log/journal"  # journald made it on restart
    assert "Storage=persistent" in run["fix-files"]
    after = _statuses(run["check-after-fix.json"])
    assert after["journald_persistent"] == "OK"
    # The container cannot change the host's kernel (/proc/sys is read-only in nspawn):
    # a sysctl fix is written and says it did not take, never claims success.
    for cid in ("panic_on_oops", "panic_timeout"):
        if cid in items and items[cid]["action"] == "fix":
            assert not items[cid]["result"].startswith("fixed"), items[cid]
            assert run["fix-apply.rc"].strip() == "1"

    undone = json.loads(run["fix-undo.json"])
    assert run["fix-undo.rc"].strip() == "0", run["fix-undo.err"] + run["fix-undo.json"]
    assert "/etc/systemd/journald.conf.d/90-kcrashd.conf" in undone["removed"]
    assert run["etc-after-undo"] == run["etc-before-fix"]


def test_test_alert_reaches_the_installed_sinks(run):
    assert run["alert-test.rc"].strip() == "0", run["alert-test.err"] + run["alert-test.json"]
    doc = json.loads(run["alert-test.json"])
    sinks = {s["sink"]: s for s in doc["sinks"]}
    assert sinks["journal"]["delivered"] is True
    assert sinks["metrics"]["delivered"] is True
    assert f"{TEXTFILE_DIR}/kcrashd.prom" == sinks["metrics"]["target"]


def test_unit_log_priorities_sort_in_the_journal(run):
    entries = _json_lines(run["unit.json"])
    errors = _json_lines(run["unit-err.json"])
    assert entries and errors, run["unit.json"][-2000:]
    # exactly the entries at err or worse, and each of them is an error of kcrashd's
    assert sorted(e["__CURSOR"] for e in errors) == sorted(
        e["__CURSOR"] for e in entries if int(e["PRIORITY"]) <= 3
    )
    # the refused reload is one entry at err listing every problem, not a line per problem
    (refused,) = [e for e in errors if "config reload refused" in e["MESSAGE"]]
    assert "bogus_key" in refused["MESSAGE"] and "interval_seconds" in refused["MESSAGE"]
    # the start-up summary is a notice; no kcrashd line reached the journal as bare stdout
    summary = [e for e in entries if e.get("KCRASHD_TYPE") == "readiness_summary"]
    assert summary and all(e["PRIORITY"] in ("5", "6") for e in summary)
    assert not [e for e in entries if e.get("_TRANSPORT") == "stdout"], [
        e["MESSAGE"] for e in entries if e.get("_TRANSPORT") == "stdout"
    ]


def test_catalog_text_matches_the_shipped_catalog():
    # Guards the check above: the phrase it looks for is really in the catalog entry.
    catalog = (PROJECT / "systemd" / "kcrashd.catalog").read_text()
    entry = catalog.split(f"-- {SUMMARY_ID}\n", 1)[1].split("\n-- ", 1)[0]
    assert "kcrashd started and checked whether this host can capture" in textwrap.dedent(entry)
