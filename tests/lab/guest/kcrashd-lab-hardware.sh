# kcrashd crash lab, plan "hardware" (issue 18): sourced by kcrashd-lab-guest.sh, whose
# helpers (say, wait_ready, record, poweroff) it uses. One boot on a q35 machine with an
# NVMe disk (nvme0), an ATA disk (ide-hd: sda), the virtio root (vda) and a PCIe root port
# (rp0); the host (tests/lab/hardware_plans.py) does what the guest asks with KLAB-HOST lines:
#   KLAB-HOST smart_warning nvme0 BITS    QMP qom-set of the controller's smart_critical_warning
#   KLAB-HOST device_add nvme1            QMP device_add of a second NVMe disk into rp0
#   KLAB-HOST device_del nvme1            QMP device_del of it
# Steps: the disks' own smartctl JSON; critical warning bits set on nvme0 and a disk hot-added
# together (kcrashd must raise both), then cleared and hot-removed together (both clear);
# meanwhile memory pressure in a small cgroup until the OOM killer acts.

# kcrashd alerts of type $1 with KCRASHD_KEY=$2 in this boot's journal.
hw_alerts() {
    journalctl -b -q -o json SYSLOG_IDENTIFIER=kcrashd "KCRASHD_TYPE=$1" "KCRASHD_KEY=$2" \
        2>/dev/null | wc -l
}
# Wait until there are $3 alerts of type $1 for key $2, at most $4 seconds.
hw_wait() {
    local end=$((SECONDS + $4))
    while [ "$SECONDS" -lt "$end" ]; do
        [ "$(hw_alerts "$1" "$2")" -ge "$3" ] && return 0
        sleep 0.5
    done
    [ "$(hw_alerts "$1" "$2")" -ge "$3" ]
}
hw_host() {
    say "asking the host: $*"
    echo "KLAB-HOST $*"
}
hw_smartctl() { # $1 device, $2 file name: what smartctl itself reports, for the host
    smartctl --json -a "$1" >"$OUT/$2.json" 2>"$OUT/$2.err"
    echo $? >"$OUT/$2.rc"
}
hw_until() { # wait until the shell test "$2" is true, at most $1 seconds
    local end=$((SECONDS + $1))
    while [ "$SECONDS" -lt "$end" ]; do
        eval "$2" && return 0
        sleep 0.5
    done
    eval "$2"
}

# Memory pressure for real: lab-psihog fills 64 MiB in a unit with MemoryMax=256M, then the
# unit's MemoryHigh= is set to 32M, below that: every page it touches from then on is charged
# to a cgroup over memory.high, and the kernel throttles it (PSI memory stalls, some and full:
# nothing else runs). Then MemoryMax= goes below what it holds and the OOM killer ends it.
# kcrashd's memory watcher must alert on PSI before the kill.
HW_CG=/sys/fs/cgroup/system.slice/lab-psihog.service
hw_psi() {
    say "psi: lab-psihog in a unit with MemoryMax=256M"
    systemd-run --unit=lab-psihog -p MemoryMax=256M -p MemorySwapMax=0 \
        /usr/bin/python3 /usr/local/lib/kcrashd-lab/psihog.py --hold-mib 64 \
        >"$OUT/psihog-run.txt" 2>&1
    hw_until 60 '[ "$(cat $HW_CG/memory.current 2>/dev/null || echo 0)" -ge $((64 << 20)) ]'
    say "psi: lab-psihog holds $(($(cat $HW_CG/memory.current) >> 20)) MiB; MemoryHigh=32M"
    systemctl set-property --runtime lab-psihog.service MemoryHigh=32M
    if hw_wait memory_raised psi_some 1 90; then
        say "psi: kcrashd alerted memory pressure (some)"
    else
        say "psi: no memory pressure alert within 90 s"
    fi
    hw_wait memory_raised psi_full 1 20 && say "psi: kcrashd alerted memory pressure (full)"
    cat /proc/pressure/memory >"$OUT/pressure-before-kill.txt"
    cat $HW_CG/memory.pressure >"$OUT/psihog-pressure.txt" 2>&1
    say "psi: MemoryMax=24M, below what lab-psihog holds: the OOM killer acts"
    systemctl set-property --runtime lab-psihog.service MemoryMax=24M
    hw_until 60 '[ "$(systemctl show -P ActiveState lab-psihog.service)" != active ]'
    systemctl show lab-psihog.service -p Result,ActiveState >"$OUT/psihog.show" 2>&1
    say "psi: lab-psihog $(systemctl show -P Result lab-psihog.service)"
}

plan_hardware() {
    wait_ready
    # The disk watcher's start-up pass has read every disk once.
    local end=$((SECONDS + 120))
    while [ "$SECONDS" -lt "$end" ] && [ "$(jobs_done watcher_disk)" -lt 1 ]; do sleep 0.5; done
    say "disk watcher runs: $(jobs_done watcher_disk)"
    ls -l /dev/nvme* /dev/sd* /dev/vd* >"$OUT/block-devices.txt" 2>&1
    hw_smartctl /dev/nvme0n1 smartctl-nvme0n1
    hw_smartctl /dev/sda smartctl-sda
    hw_smartctl /dev/vda smartctl-vda

    # Warning bits on nvme0 (spare, temperature, reliability, read-only, backup) and a new
    # disk at once: the next disk job sees both.
    hw_host smart_warning nvme0 31
    hw_host device_add nvme1
    hw_until 60 '[ -b /dev/nvme1n1 ]' && say "nvme1n1 appeared"
    hw_wait disk_raised /dev/nvme1n1 1 150 && say "smart: kcrashd raised /dev/nvme1n1"
    hw_wait disk_raised /dev/nvme0n1 1 150 && say "smart: kcrashd raised /dev/nvme0n1"
    hw_smartctl /dev/nvme0n1 smartctl-nvme0n1-warning
    hw_smartctl /dev/nvme1n1 smartctl-nvme1n1

    # Cleared and removed at once; memory pressure while the disk job's next turn comes.
    hw_host smart_warning nvme0 0
    hw_host device_del nvme1
    hw_until 60 '[ ! -e /dev/nvme1n1 ]' && say "nvme1n1 is gone"
    local removed=$SECONDS
    hw_psi
    hw_wait disk_cleared /dev/nvme0n1 1 150 && say "smart: kcrashd cleared /dev/nvme0n1"
    hw_wait disk_cleared /dev/nvme1n1 1 150 && say "smart: kcrashd cleared /dev/nvme1n1"
    # One more SMART interval (60 s) after the removal: a removed disk still polled would
    # leave a note about /dev/nvme1n1 now.
    local rest=$((removed + 75 - SECONDS))
    [ "$rest" -gt 0 ] && sleep "$rest"
    say "disk watcher runs: $(jobs_done watcher_disk)"
    journalctl -b -o short-monotonic -u kcrashd --no-pager >"$OUT/kcrashd-monotonic.log" 2>&1
    record
    poweroff
}
