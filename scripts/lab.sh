#!/usr/bin/env bash
# The crash lab by hand (as root; tests/lab/ holds the lab, tests/lab/test_*.py the scenarios).
#
#   bash scripts/lab.sh build          build or reuse the cached guest image
#   bash scripts/lab.sh run PLAN       boot one plan (live, kdump, efi, resets, hardware) and keep
#                                      the guest disk's journal, /var/crash, pstore and kcrashd
#                                      state extracted under /var/tmp/kcrashd-lab/manual-PLAN
#   bash scripts/lab.sh fixtures       cut the real reports of the last live, kdump, resets and efi
#                                      runs into tests/fixtures/logs/lab/ (parser fixtures)
#   bash scripts/lab.sh test [ARGS]    the lab's pytest scenarios (what CI runs in the suite)
#
# Env: KCRASHD_LAB_ACCEL=tcg|kvm (default: probed), KCRASHD_LAB_KEEP=1 keeps run disk images,
# KCRASHD_LAB_CACHE (default /var/cache/kcrashd-lab), KCRASHD_LAB_SCRATCH (/var/tmp/kcrashd-lab).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/dev.sh setup
case "${1:-}" in
    build | run | fixtures) exec .venv/bin/python -m tests.lab "$@" ;;
    test) shift; KCRASHD_LAB=1 exec .venv/bin/python -m pytest -q tests/lab "$@" ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
esac
