#!/usr/bin/env bash
# Set up a development environment on Debian 12 (as root) and run kcrashd or its tests.
#
#   bash scripts/dev.sh check      set up, then run the readiness check on this host
#   bash scripts/dev.sh test       set up, then run the whole test suite (what CI runs)
#   bash scripts/dev.sh setup      set up only
#   bash scripts/dev.sh bench      set up, then run every benchmark in benchmarks/
#
# Set-up is idempotent: apt packages that are missing are installed, and .venv is created
# with the Python dependencies (systemd-python builds against libsystemd-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

# What the program needs at run time and to build systemd-python.
RUNTIME_APT=(python3 python3-venv python3-dev gcc pkg-config libsystemd-dev libudev1 smartmontools)
# What the test suite uses: a real journald and journal-remote, nspawn and debootstrap for the
# install and fleet tests (iproute2 for the fleet test's private network), the Debian and RPM
# tool chains, promtool and amtool (prometheus-alertmanager: installed, not started), and
# Debian's python3-* libraries that the package must run with. The packages' build (both)
# generates shell completion with python3-shtab; the RPM's %check runs the unit tests with
# python3-pytest and -hypothesis; bash-completion and zsh load the completion in the tests,
# python3-jsonschema runs the schema documentation's example. The crash lab (tests/lab) adds
# QEMU with OVMF for the EFI pstore variant, e2fsprogs to make and read its ext4 image
# without mounting it, and make and binutils to build its kernel module and resolve crash
# addresses (addr2line, nm).
TEST_APT=(systemd systemd-journal-remote systemd-container debootstrap dpkg-dev debhelper
          dh-python pybuild-plugin-pyproject python3-all python3-setuptools lintian rpm rpmlint
          prometheus prometheus-alertmanager python3-systemd python3-pyudev python3-psutil
          python3-yaml python3-prometheus-client kmod util-linux procps cpio man-db iproute2
          python3-shtab python3-pytest python3-hypothesis python3-jsonschema bash-completion zsh
          qemu-system-x86 qemu-utils ovmf e2fsprogs make binutils)

apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "dev.sh: installing ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    fi
}

setup() {
    apt_install "${RUNTIME_APT[@]}" "$@"
    local py=${PYTHON:-python3}
    if [ ! -x .venv/bin/python ]; then
        "$py" -m venv .venv
    fi
    if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
        .venv/bin/pip install -q --upgrade pip >/dev/null
        .venv/bin/pip install -q -e '.[systemd,metrics,dev]'
        touch .venv/.installed
    fi
}

case "${1:-}" in
    setup) setup ;;
    check) shift; setup; exec .venv/bin/kcrashd check "$@" ;;
    test)
        shift; setup "${TEST_APT[@]}"
        .venv/bin/ruff check kcrashd tests benchmarks
        .venv/bin/ruff format --check kcrashd tests benchmarks
        exec .venv/bin/python -m pytest -q "$@" ;;
    bench)
        shift; setup "${TEST_APT[@]}" kdump-tools time
        for b in benchmarks/bench_*.py; do echo "== $b"; .venv/bin/python "$b"; done ;;
    *) sed -n '2,8p' "$0"; exit 2 ;;
esac
