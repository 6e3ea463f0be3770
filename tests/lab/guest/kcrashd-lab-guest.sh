#!/bin/bash
# kcrashd crash lab: a scenario's steps inside the guest (kcrashd-lab.service, every normal
# boot; never in the kdump capture kernel, where /proc/vmcore exists).
#
# The plan comes from the kernel command line (kcrashd_lab.plan=NAME); its stage is kept on
# disk in /var/lib/kcrashd-lab/stage-NAME, so a plan goes on across crashes and reboots.
# Results are plain files under /var/lib/kcrashd-lab/out/NAME/STAGE/ that the host reads
# from the disk image after the guest powered off. Console lines:
#   KLAB <plan>/<stage> <uptime> <text>      progress, for humans and the serial log
#   KLAB-HOST <action>                       asks the host for something (system_reset)
# Plans (tests/lab/test_*.py say what each one proves):
#   live     one boot: readiness, every trigger of the lab module with panic_on_oops=0,
#            OOM and fd exhaustion
#   kdump    the bad_driver oops with Debian's panic_on_oops=1: panic, kdump capture boot,
#            reboot, post-mortem
#   efi      sysrq c with kdump loaded and EFI pstore (OVMF): ~14 parts per record
#   resets   QEMU system_reset, then `systemctl reboot`, then (new QEMU run) a boot without
#            crashkernel= (readiness drift), then sysrq c there (no kdump possible) with
#            ramoops loaded after systemd-pstore ran (records stay in /sys/fs/pstore)
set -u
LAB=/var/lib/kcrashd-lab
plan=$(sed -n 's/.*kcrashd_lab\.plan=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$plan" ] || exit 0
STAGE_FILE=$LAB/stage-$plan
stage=$(cat "$STAGE_FILE" 2>/dev/null || echo 0)
OUT=$LAB/out/$plan/$stage
mkdir -p "$OUT"
export SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat LC_ALL=C

say() { echo "KLAB $plan/$stage $(cut -d' ' -f1 /proc/uptime) $*"; }
next_stage() { echo "$1" >"$STAGE_FILE"; sync; }
boot_id() { tr -d - </proc/sys/kernel/random/boot_id; }

# Number of kcrashd alerts of type $1 in this boot's journal.
alerts() {
    journalctl -b -q -o json SYSLOG_IDENTIFIER=kcrashd "KCRASHD_TYPE=$1" 2>/dev/null | wc -l
}
# Wait until there are at least $2 alerts of type $1 (at most $3 seconds of wall time:
# under TCG one journalctl call alone can take a second).
wait_alerts() {
    local end=$((SECONDS + $3))
    while [ "$SECONDS" -lt "$end" ]; do
        [ "$(alerts "$1")" -ge "$2" ] && return 0
        sleep 0.2
    done
    [ "$(alerts "$1")" -ge "$2" ]
}
# Runs of kcrashd's start-up jobs ($@: job names), from the status document it keeps in
# its state database. sqlite3 from python3, not `kcrashd status`: under TCG each python
# start costs seconds, and the kcrashd CLI imports much more.
jobs_done() {
    python3 - "$@" <<'PY' 2>/dev/null || echo 0
import json, sqlite3, sys
db = sqlite3.connect("file:/var/lib/kcrashd/state.db?mode=ro", uri=True, timeout=5)
row = db.execute("SELECT value FROM meta WHERE key='status'").fetchone()
jobs = json.loads(row[0]).get("jobs") or {} if row else {}
print(min((jobs.get(name) or {}).get("runs", 0) for name in sys.argv[1:]))
PY
}

# The boot is up, kcrashd runs and has done its start-up jobs (post-mortem, readiness).
wait_ready() {
    local state end=$((SECONDS + 300))
    state=$(timeout 300 systemctl is-system-running --wait)
    say "system $state; kdump loaded=$(cat /sys/kernel/kexec_crash_loaded)"
    while [ "$SECONDS" -lt "$end" ]; do
        [ "$(jobs_done postmortem readiness)" -ge 1 ] && break
        sleep 0.5
    done
    say "kcrashd $(systemctl is-active kcrashd): start-up jobs done: $(jobs_done postmortem readiness)"
    {
        echo "boot_id=$(boot_id)"
        echo "system=$state"
        echo "kernel=$(uname -r)"
        echo "cmdline=$(cat /proc/cmdline)"
        echo "kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)"
        echo "kexec_crash_size=$(cat /sys/kernel/kexec_crash_size)"
        echo "panic_on_oops=$(cat /proc/sys/kernel/panic_on_oops)"
        echo "pstore_backend=$(cat /sys/module/pstore/parameters/backend 2>/dev/null)"
        echo "uptime_ready=$(cut -d' ' -f1 /proc/uptime)"
    } >"$OUT/boot.env"
    systemctl --failed --no-legend >"$OUT/failed-units.txt" 2>&1
    systemctl show kcrashd -p ActiveState,SubState,NRestarts,MainPID,Result >"$OUT/kcrashd.show"
    grep -E '^Cap(Eff|Bnd)' "/proc/$(systemctl show -P MainPID kcrashd)/status" \
        >"$OUT/kcrashd.caps" 2>&1
}

# What the host reads at the end of every boot of a plan.
record() {
    ls -lR /var/crash /sys/fs/pstore /var/lib/systemd/pstore >"$OUT/ls-evidence.txt" 2>&1
    journalctl --list-boots --no-pager >"$OUT/list-boots.txt" 2>&1
    journalctl -b -u kcrashd --no-pager >"$OUT/kcrashd-unit.log" 2>&1
    journalctl --sync
    sync
}

readiness() {
    kcrashd check --json >"$OUT/check.json" 2>"$OUT/check.err"
    echo $? >"$OUT/check.rc"
    kdump-config status >"$OUT/kdump-status.txt" 2>&1
    echo $? >"$OUT/kdump-status.rc"
    kdump-config show >"$OUT/kdump-show.txt" 2>&1
}

poweroff() {
    say "powering off"
    journalctl --sync
    sync
    systemctl --no-block poweroff
    exit 0
}

# Write $3 to trigger file $2 from a child shell (an oops kills the writer, not us), then
# wait for kcrashd's alert so that the next report does not interleave with this one.
trigger() {
    local name=$1 file=$2 value=$3 before rc
    before=$(alerts crash_report)
    say "trigger $name: echo $value > $file"
    /bin/sh -c "echo $value > $file"
    rc=$?
    say "trigger $name: writer exit status $rc"
    echo "$name $rc" >>"$OUT/writers.txt"
    if wait_alerts crash_report $((before + 1)) 45; then
        say "trigger $name: kcrashd alerted"
    else
        say "trigger $name: no kcrashd alert within 45 s"
    fi
}

D=/sys/kernel/debug/bad_driver

plan_live() {
    wait_ready
    readiness
    # Debian's default once kdump is loaded is panic_on_oops=1: every oops would panic.
    sysctl -q -w kernel.panic_on_oops=0
    modprobe bad_driver || say "modprobe bad_driver failed"
    # The hung task first: khungtaskd stays silent once the kernel has oopsed (TAINT_DIE).
    # D state past hung_task_timeout_secs; one report only.
    sysctl -q -w kernel.hung_task_timeout_secs=5 kernel.hung_task_warnings=1
    local before
    before=$(alerts crash_report)
    say "trigger hung_task: echo 20 > $D/hung_task (in the background)"
    /bin/sh -c "echo 20 > $D/hung_task" &
    local writer=$!
    wait_alerts crash_report $((before + 1)) 45 && say "trigger hung_task: kcrashd alerted"
    wait $writer
    echo "hung_task $?" >>"$OUT/writers.txt"
    trigger page_fault /proc/bad_driver 1
    trigger bug $D/bug 1
    trigger warning $D/warn 1
    trigger divide_error $D/divide 7
    trigger refcount $D/refcount 1
    trigger uaf $D/uaf 1
    # Soft lockup after 2 * watchdog_thresh seconds; spin well past it.
    sysctl -q -w kernel.watchdog_thresh=3
    trigger soft_lockup $D/softlockup 10
    sysctl -q -w kernel.watchdog_thresh=10

    # OOM: a process eats memory, holds below the memory watcher's threshold for a while
    # (the warning sign), then goes on until the OOM killer ends it.
    before=$(alerts crash_report)
    say "oom: memhog"
    # kcrashd-lab.service has OOMPolicy=continue: the kill must not stop this script.
    python3 /usr/local/lib/kcrashd-lab/memhog.py --hold-percent 7 --hold-seconds 8 \
        >"$OUT/memhog.txt" 2>&1
    echo "memhog $?" >>"$OUT/writers.txt"
    wait_alerts crash_report $((before + 1)) 45 && say "oom: kcrashd alerted the OOM kill"
    wait_alerts memory_raised 1 5 && say "oom: memory watcher alerted"

    say "fd: fdhog"
    python3 /usr/local/lib/kcrashd-lab/fdhog.py --hold-seconds 8 >"$OUT/fdhog.txt" 2>&1
    echo "fdhog $?" >>"$OUT/writers.txt"
    wait_alerts fd_raised 1 10 && say "fd: kcrashd alerted"
    sleep 3 # a cleared alert may follow; anything late still lands before the record

    # The bad_driver incident as `kcrashd incidents show` gives it.
    local incident
    incident=$(journalctl -b -q -o json SYSLOG_IDENTIFIER=kcrashd KCRASHD_TYPE=crash_report \
        KCRASHD_KIND=page_fault | head -1 | python3 -c '
import json, sys
print(json.loads(sys.stdin.read() or "{}").get("KCRASHD_INCIDENT", ""))')
    echo "$incident" >"$OUT/page_fault-incident.txt"
    if [ -n "$incident" ]; then
        kcrashd incidents show "$incident" --json >"$OUT/incident-show.json" 2>&1
    fi
    record
    poweroff
}

plan_kdump() {
    case $stage in
    0)
        wait_ready
        say "oops with panic_on_oops=$(cat /proc/sys/kernel/panic_on_oops)"
        record
        next_stage 1
        modprobe bad_driver || say "modprobe bad_driver failed"
        /bin/sh -c 'echo 1 > /proc/bad_driver'
        say "still alive after the oops (panic_on_oops=$(cat /proc/sys/kernel/panic_on_oops))"
        ;;
    1)
        wait_ready
        wait_alerts previous_boot_crashed 1 60 && say "kcrashd alerted the previous crash"
        sleep 5 # a second (wrong) alert would come now
        say "alerts: previous_boot_crashed=$(alerts previous_boot_crashed)" \
            "unexplained_reset=$(alerts unexplained_reset)"
        incident_files
        record
        next_stage 2
        poweroff
        ;;
    esac
}

# `kcrashd incidents show` of every incident of the previous_boot_crashed alerts.
incident_files() {
    local id
    journalctl -b -q -o json SYSLOG_IDENTIFIER=kcrashd KCRASHD_TYPE=previous_boot_crashed |
        python3 -c '
import json, sys
for line in sys.stdin:
    print(json.loads(line).get("KCRASHD_INCIDENT", ""))' | while read -r id; do
        [ -n "$id" ] || continue
        kcrashd incidents show "$id" --json >"$OUT/incident-$id.json" 2>&1
    done
}

plan_efi() {
    case $stage in
    0)
        wait_ready
        say "sysrq c with kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)" \
            "pstore backend $(cat /sys/module/pstore/parameters/backend)"
        record
        next_stage 1
        echo c >/proc/sysrq-trigger
        ;;
    1)
        wait_ready
        wait_alerts previous_boot_crashed 1 60 && say "kcrashd alerted the previous crash"
        sleep 5
        incident_files
        record
        next_stage 2
        poweroff
        ;;
    esac
}

plan_resets() {
    case $stage in
    0)
        wait_ready
        record
        next_stage 1
        say "waiting for the host's system_reset"
        echo "KLAB-HOST system_reset"
        sleep 600
        ;;
    1)
        wait_ready
        wait_alerts unexplained_reset 1 30 && say "kcrashd alerted the reset"
        sleep 3
        record
        next_stage 2
        say "systemctl reboot"
        systemctl reboot
        ;;
    2)
        wait_ready
        sleep 5 # an alert after the post-mortem job would be a wrong one
        record
        next_stage 3
        poweroff
        ;;
    3)
        # Booted without crashkernel= (a second QEMU run on the same disk): readiness drifts.
        wait_ready
        wait_alerts readiness_degraded 1 30 && say "kcrashd alerted the drift"
        readiness
        # Then a panic without an oops. No kdump kernel can load without crashkernel=, so only
        # pstore keeps it; and from the next boot on, ramoops loads only after
        # systemd-pstore.service was skipped for an empty /sys/fs/pstore: the records stay
        # there, raw.
        rm -f /etc/systemd/system/systemd-pstore.service.d/kcrashd-lab-ramoops.conf \
            /etc/modules-load.d/kcrashd-lab-ramoops.conf
        systemctl enable kcrashd-lab-late-ramoops.service >"$OUT/late-ramoops.txt" 2>&1
        systemctl daemon-reload
        say "sysrq c with kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)"
        record
        next_stage 4
        echo c >/proc/sysrq-trigger
        ;;
    4)
        wait_ready
        wait_alerts previous_boot_crashed 1 60 && say "kcrashd alerted the previous crash"
        sleep 5
        systemctl show systemd-pstore -p ActiveState,Result,ConditionResult \
            >"$OUT/systemd-pstore.show" 2>&1
        incident_files
        record
        next_stage 5
        poweroff
        ;;
    esac
}

say "boot $(boot_id) plan $plan stage $stage"
case $plan in
live) plan_live ;;
kdump) plan_kdump ;;
efi) plan_efi ;;
resets) plan_resets ;;
hardware) . /usr/local/lib/kcrashd-lab/hardware.sh && plan_hardware ;; # issue 18
*) say "unknown plan $plan" ;;
esac
