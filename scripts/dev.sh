#!/usr/bin/env bash
# Set up a development environment on Debian 12 (as root) and run kcrashd or its tests.
#
#   bash scripts/dev.sh check      set up, then run the readiness check on this host
#   bash scripts/dev.sh test       set up, then run the whole test suite (what CI runs)
#   bash scripts/dev.sh setup      set up only
#   bash scripts/dev.sh bench      set up, then run every benchmark in benchmarks/
#   bash scripts/dev.sh golden     set up, then rewrite tests/golden/ from the outputs now
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
          prometheus prometheus-alertmanager python3-systemd python3-pyudev python3-yaml
          kmod util-linux procps cpio man-db iproute2
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
        .venv/bin/pip install -q -e '.[systemd,dev]'
        touch .venv/.installed
    fi
}

# pytest under coverage.py (branch coverage of kcrashd/; settings in pyproject.toml): the unit
# tests, then the integration tests and the crash lab (tests/lab: its QEMU scenarios run when
# KCRASHD_LAB=1 or CI=true, as .ci/run sets), and the figures at the end. KCRASHD_COVERAGE says what is
# measured: "unit" (the default, what CI runs: the unit tests; measuring the integration tests
# too made the whole run about 30% slower), "all" (both: unit tests alone and whole suite), "0"
# (nothing: plain pytest). With test paths (or node ids) only those run, in one measured run.
# Extra pytest options go to every run.
COVERAGE_DIR=.cache/coverage

pytest_covered() {  # NAME PYTEST-ARGS...: data in $COVERAGE_DIR/NAME/coverage; pytest's status
    local name=$1 rc=0; shift
    mkdir -p "$COVERAGE_DIR/$name"
    chmod 1777 "$COVERAGE_DIR/$name"  # tests also run kcrashd as an unprivileged user
    COVERAGE_FILE="$PWD/$COVERAGE_DIR/$name/coverage" \
        .venv/bin/coverage run -m pytest -q "$@" || rc=$?
    COVERAGE_FILE="$COVERAGE_DIR/$name/coverage" .venv/bin/coverage combine -q --keep \
        "$COVERAGE_DIR/$name" >/dev/null 2>&1 || true
    return "$rc"
}

coverage_total() {  # DATA-FILE: the branch coverage total, e.g. 81.4%
    local pct
    pct=$(COVERAGE_FILE=$1 .venv/bin/coverage report --format=total 2>/dev/null) || pct="?"
    echo "$pct%"
}

test_with_coverage() {  # MODE PYTEST-ARGS...
    local mode=$1 paths=0 rc=0 rc2=0 a summary
    shift
    for a in "$@"; do [[ $a != -* && -e ${a%%::*} ]] && paths=1; done
    rm -rf "$COVERAGE_DIR"
    if ((paths)); then
        pytest_covered run "$@" || rc=$?
        echo "branch coverage of kcrashd/ by these tests: $(coverage_total "$COVERAGE_DIR/run/coverage")"
        return "$rc"
    fi
    pytest_covered unit tests/unit "$@" || rc=$?
    summary="branch coverage of kcrashd/: unit tests $(coverage_total "$COVERAGE_DIR/unit/coverage")"
    if [ "$mode" = all ]; then
        pytest_covered integration tests/integration tests/lab "$@" || rc2=$?
        mkdir -p "$COVERAGE_DIR/all"
        COVERAGE_FILE="$COVERAGE_DIR/all/coverage" .venv/bin/coverage combine -q --keep \
            "$COVERAGE_DIR/unit/coverage" "$COVERAGE_DIR/integration/coverage" >/dev/null 2>&1 || true
        summary+=", whole suite $(coverage_total "$COVERAGE_DIR/all/coverage")"
    else
        .venv/bin/python -m pytest -q tests/integration tests/lab "$@" || rc2=$?
        summary+=" (the whole suite's: KCRASHD_COVERAGE=all)"
    fi
    a=unit; [ "$mode" = all ] && a=all
    echo "$summary (per file: COVERAGE_FILE=$COVERAGE_DIR/$a/coverage .venv/bin/coverage report)"
    # 5 is "no test collected": fine for one half when the other ran (say, with -k).
    ((rc == 5 && rc2 != 5)) && rc=0
    ((rc2 == 5 && rc != 5)) && rc2=0
    ((rc)) && return "$rc"
    return "$rc2"
}

case "${1:-}" in
    setup) setup ;;
    check) shift; setup; exec .venv/bin/kcrashd check "$@" ;;
    test)
        shift; setup "${TEST_APT[@]}"
        .venv/bin/ruff check kcrashd tests benchmarks
        .venv/bin/ruff format --check kcrashd tests benchmarks
        if [ "${KCRASHD_COVERAGE:-unit}" = 0 ]; then exec .venv/bin/python -m pytest -q "$@"; fi
        test_with_coverage "${KCRASHD_COVERAGE:-unit}" "$@" ;;
    golden)
        shift; setup "${TEST_APT[@]}"
        .venv/bin/python -m pytest -q -m golden --update-golden "$@" tests/unit
        git status --short -- tests/golden ;;
    bench)
        shift; setup "${TEST_APT[@]}" kdump-tools time
        for b in benchmarks/bench_*.py; do echo "== $b"; .venv/bin/python "$b"; done ;;
    *) sed -n '2,9p' "$0"; exit 2 ;;
esac
