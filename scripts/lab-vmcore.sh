#!/usr/bin/env bash
# vmcore triage of a crash-lab dump with crash(8), by hand (not in CI: the debug kernel
# package is an 858 MB download).
#
#   bash scripts/lab-vmcore.sh [DUMP]
#
# DUMP: a kdump-tools dump file (/var/crash/<stamp>/dump.<stamp>, flattened format); default
# the newest one under /var/tmp/kcrashd-lab/*/tree (KCRASHD_LAB_KEEP is not needed: the
# extracted tree of `bash scripts/lab.sh run kdump` has it).
#
# 1. The matching linux-image-<release>-dbg .deb is fetched with apt (the lab's private
#    package lists under $CACHE/apt), only its vmlinux is extracted into $CACHE/dbg/ (about
#    the size of the debug vmlinux; the .deb is deleted), so a second run downloads nothing.
# 2. crash and makedumpfile are installed on the host when missing (apt).
# 3. `makedumpfile -R` turns the flattened dump into one crash(8) reads.
# 4. `crash -s` runs in batch with a timeout: the lab module's debug info, bt, the end of
#    the log, the crashing task. Each step prints a TIMING line.
# 5. The product does the same: `kcrashd postmortem --root TREE` files the incident into a
#    scratch state directory, then `kcrashd incidents show ID --vmlinux VMLINUX` runs crash
#    itself (makedumpfile -R, crash -s in batch, kcrashd/postmortem/triage.py) and shows
#    bt, the panicking task and the log tail; a second show takes the kept answer.
set -euo pipefail
CACHE=${KCRASHD_LAB_CACHE:-/var/cache/kcrashd-lab}
SCRATCH=${KCRASHD_LAB_SCRATCH:-/var/tmp/kcrashd-lab}
CRASH_TIMEOUT=${CRASH_TIMEOUT:-600}
t0=$(date +%s)
lap() { echo "TIMING $1 $(($(date +%s) - t0))s"; t0=$(date +%s); }

dump=${1:-$(ls -t "$SCRATCH"/*/tree/var/crash/*/dump.* 2>/dev/null | head -1 || true)}
[ -n "$dump" ] && [ -f "$dump" ] || {
    echo "no dump: run 'bash scripts/lab.sh run kdump' first, or name one" >&2
    exit 2
}
dmesg=$(ls "$(dirname "$dump")"/dmesg.* | head -1)
release=$(grep -a -o -m1 'Linux version [^ ]*' "$dmesg" | cut -d' ' -f3)
echo "dump $dump (kernel $release)"

missing=()
for p in crash makedumpfile; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
    lap apt-install
fi

vmlinux=$CACHE/dbg/vmlinux-$release
if [ ! -s "$vmlinux" ]; then
    apt_opts=(-o "Dir::State::Lists=$CACHE/apt/lists" -o "Dir::Etc::SourceList=$CACHE/apt/sources.list"
        -o Dir::Etc::SourceParts=/dev/null -o "Dir::Cache=$CACHE/apt/cache")
    [ -f "$CACHE/apt/sources.list" ] || {
        echo "no $CACHE/apt: build the lab image first (bash scripts/lab.sh build)" >&2
        exit 2
    }
    mkdir -p "$CACHE/dbg/download"
    if ! ls "$CACHE"/dbg/download/linux-image-"$release"-dbg_*.deb >/dev/null 2>&1; then
        (cd "$CACHE/dbg/download" && apt-get -q "${apt_opts[@]}" download "linux-image-$release-dbg")
        lap download-dbg-deb
    fi
    deb=$(ls "$CACHE"/dbg/download/linux-image-"$release"-dbg_*.deb)
    # Only the vmlinux; tar stops after it (--occurrence) instead of unpacking 5 GB, so
    # dpkg-deb dies of SIGPIPE: expected.
    { dpkg-deb --fsys-tarfile "$deb" || true; } |
        tar -x -C "$CACHE/dbg/download" --occurrence=1 "./usr/lib/debug/boot/vmlinux-$release"
    mv "$CACHE/dbg/download/usr/lib/debug/boot/vmlinux-$release" "$vmlinux.tmp"
    mv "$vmlinux.tmp" "$vmlinux"
    rm -rf "$CACHE/dbg/download"
    lap extract-vmlinux
fi
echo "vmlinux $vmlinux ($(du -h "$vmlinux" | cut -f1))"

work=$(mktemp -d "$SCRATCH/vmcore.XXXXXX")
trap 'rm -rf "$work"' EXIT
makedumpfile -R "$work/vmcore" <"$dump"
lap "makedumpfile-R"

ko=$(ls -t "$CACHE"/images/*/bad_driver.ko 2>/dev/null | head -1 || true)
{
    [ -n "$ko" ] && echo "mod -s bad_driver $ko"
    echo "sys"
    echo "bt"
    echo "log | tail -n 60"
    echo "ps -m | head -5"
    echo "quit"
} >"$work/commands"
timeout "$CRASH_TIMEOUT" crash -s -i "$work/commands" "$vmlinux" "$work/vmcore"
lap crash-batch

cd "$(dirname "$0")/.."
tree=${dump%/var/crash/*}
kcrashd() { PYTHONPATH=. .venv/bin/python -m kcrashd --config /dev/null "$@"; }
kcrashd postmortem --root "$tree" --state-dir "$work/state" --no-alerts >/dev/null
id=$(kcrashd incidents list --json --state-dir "$work/state" |
    .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["incidents"][0]["incident_id"])')
kcrashd incidents show "$id" --state-dir "$work/state" --vmlinux "$vmlinux" |
    sed -n '/^VMCORE TRIAGE/,/^REPORT/p'
lap kcrashd-incidents-show-runs-crash
kcrashd incidents show "$id" --state-dir "$work/state" --vmlinux "$vmlinux" --json |
    .venv/bin/python -c 'import json, sys; t = json.load(sys.stdin)["vmcore_triage"]
print("kept triage:", t["seconds"], "s,", len(t["bt"]), "bt lines, task", t["task"][1:])'
lap kcrashd-incidents-show-kept
