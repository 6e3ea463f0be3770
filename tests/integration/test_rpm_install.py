"""Install test for the RPM: `rpm -i --nodeps` into a booted Debian 12 root that has rpm and
the python3-* libraries (tests/integration/booted.py), as an admin on Fedora would use it:
its scriptlets run in a booted system, the service is started, `kcrashd check --json` is
valid against its published schema, running kcrashd as root leaves no file the package
does not own, and `rpm -e` leaves nothing behind but the service's state directory.

rpm cannot see Debian's packages, hence --nodeps; the directories Fedora's `filesystem`
package owns (/usr/share/licenses, /usr/share/zsh/site-functions) are made before the
"before" listing, as they exist on Fedora before any package is installed.
"""

from __future__ import annotations

import json
import shutil
import time
from typing import Dict

import pytest

from kcrashd import __version__
from kcrashd.alerts.types import message_id
from tests.integration.booted import boot_and_run, operator_root, remove_root
from tests.integration.built import packages
from tests.json_schemas import validate

pytestmark = [pytest.mark.slow, pytest.mark.root]

SUMMARY_ID = message_id("readiness_summary")
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
# Not compared before/after: what a running system changes by itself, and rpm's database.
UNCOMPARED = (
    "/proc", "/sys", "/dev", "/run", "/tmp", "/var/tmp", "/var/log/journal",
    "/var/lib/systemd", "/var/cache", "/var/lib/rpm", "/root/kctest",
)  # fmt: skip

SCRIPT = r"""#!/bin/sh
O=/root/kctest/out
mkdir -p $O
t() { timeout 60 "$@"; }
listing() {
    find / -xdev \( @PRUNE@ \) -prune -o -print | sort > "$O/$1"
}
wait_active() {
    for i in $(seq 1 150); do
        [ "$(systemctl is-active kcrashd)" = active ] && return 0
        sleep 0.2
    done
    return 1
}

# What Fedora has before any package: its filesystem package's directories, the catalog
# database systemd builds, an initialised rpm database; node_exporter's textfile directory.
mkdir -p /usr/share/licenses /usr/share/zsh/site-functions @TEXTFILE_DIR@
t journalctl --update-catalog
t rpm --initdb
listing before

t rpm -i --nodeps /root/kctest/kcrashd.rpm > $O/install.log 2>&1
echo $? > $O/install.rc
t rpm -q kcrashd > $O/query 2>&1
t rpm -V --nodeps kcrashd > $O/verify 2>&1
echo $? > $O/verify.rc
systemctl is-enabled kcrashd > $O/is-enabled 2>&1
t journalctl --list-catalog > $O/catalog 2>&1

# An admin starts it (Fedora's presets enable, they do not start).
t systemctl start kcrashd > $O/start.log 2>&1
wait_active
systemctl show kcrashd -p ActiveState,SubState,Type,NRestarts,MainPID > $O/show 2>&1
for i in $(seq 1 150); do
    t journalctl -q -o json MESSAGE_ID=@SUMMARY_ID@ > $O/summary.json 2>&1
    [ -s $O/summary.json ] && break
    sleep 0.2
done
for i in $(seq 1 150); do [ -s @TEXTFILE_DIR@/kcrashd.prom ] && break; sleep 0.2; done
ls @TEXTFILE_DIR@ > $O/textfile-dir 2>&1

# As root, the way an admin runs it: nothing may appear that the package does not own
# (no __pycache__ written next to the byte-compiled modules).
t kcrashd check --json > $O/check.json 2> $O/check.err
echo $? > $O/check.rc
t kcrashd --version > $O/version 2>&1
t kcrashd parse --json /etc/hostname > /dev/null 2>&1
t kcrashd status --json > /dev/null 2>&1
t kcrashd config check > /dev/null 2>&1
find /usr/share/kcrashd /etc/kcrashd | sort > $O/files-on-disk
t rpm -ql kcrashd | sort > $O/files-owned
bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader kcrashd;
    complete -p kcrashd' > $O/bash-complete 2>&1

t rpm -e kcrashd > $O/erase.log 2>&1
echo $? > $O/erase.rc
systemctl show -P LoadState kcrashd > $O/loadstate-after 2>&1
t journalctl --list-catalog > $O/catalog-after 2>&1
listing after
echo done > $O/done
systemctl poweroff
"""


@pytest.fixture(scope="module")
def run(request, tmp_path_factory) -> Dict[str, str]:
    start = time.monotonic()
    work = tmp_path_factory.mktemp("rpm-install")
    rpm = packages()["rpm"]
    built = time.monotonic()
    root = operator_root(work / "root")
    copied = time.monotonic()
    kctest = root / "root" / "kctest"
    kctest.mkdir(parents=True)
    shutil.copy(rpm, kctest / "kcrashd.rpm")
    prune = " -o ".join(f"-path {p}" for p in UNCOMPARED)
    script = SCRIPT.replace("@PRUNE@", prune).replace("@SUMMARY_ID@", SUMMARY_ID)
    console = boot_and_run(root, script.replace("@TEXTFILE_DIR@", TEXTFILE_DIR))
    booted = time.monotonic()
    out = kctest / "out"
    results = {p.name: p.read_text(errors="replace") for p in out.iterdir()} if out.exists() else {}
    results["console"] = console
    assert results.get("done"), "the script did not finish:\n" + console[-4000:]
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(
            f"\nRPM install test: {booted - start:.1f} s (build {built - start:.1f} s, "
            f"root {copied - built:.1f} s, boot and checks {booted - copied:.1f} s)",
            flush=True,
        )
    yield results
    remove_root(root)


def test_installs_with_its_scriptlets(run):
    assert run["install.rc"].strip() == "0", run["install.log"]
    assert run["query"].strip() == f"kcrashd-{__version__}-1.noarch"
    # %post: the preset enabled it (no preset file here says otherwise), and the catalog
    # database has its entries.
    assert run["is-enabled"].strip() == "enabled"
    assert SUMMARY_ID in run["catalog"]


def test_every_file_is_as_packaged(run):
    assert run["verify.rc"].strip() == "0", run["verify"]


def test_the_service_runs(run):
    show = dict(line.split("=", 1) for line in run["show"].splitlines() if "=" in line)
    assert (show["ActiveState"], show["SubState"]) == ("active", "running"), run["show"]
    assert show["Type"] == "notify" and show["NRestarts"] == "0"
    entries = [json.loads(x) for x in run["summary.json"].splitlines() if x.startswith("{")]
    assert entries and entries[0]["KCRASHD_TYPE"] == "readiness_summary"
    assert "kcrashd.prom" in run["textfile-dir"].split()


def test_check_json_is_valid(run):
    assert int(run["check.rc"]) in (0, 1, 2, 3), run["check.err"]
    doc = json.loads(run["check.json"])
    validate("check", doc)
    assert doc["exit_code"] == int(run["check.rc"])
    assert run["version"].strip() == f"kcrashd {__version__}"


def test_running_as_root_leaves_no_unowned_file(run):
    on_disk = set(run["files-on-disk"].split())
    owned = set(run["files-owned"].split())
    assert on_disk - owned == set()
    assert any("/__pycache__/" in f and f.endswith(".pyc") for f in owned)


def test_bash_completion_is_found(run):
    assert "complete -o filenames -F _shtab_kcrashd kcrashd" in run["bash-complete"]


def test_erase_leaves_nothing_but_the_state(run):
    assert run["erase.rc"].strip() == "0", run["erase.log"]
    assert "warning" not in run["erase.log"].lower(), run["erase.log"]
    assert run["loadstate-after"].strip() == "not-found"
    assert SUMMARY_ID not in run["catalog-after"]
    before, after = set(run["before"].split()), set(run["after"].split())
    assert before - after == set()  # nothing of the system was removed
    # The service's state directory (StateDirectory=, incidents and snapshots) is kept on
    # erase, as Fedora packages keep their data in /var/lib; nothing else is left.
    left = after - before
    assert {p for p in left if not p.startswith("/var/lib/kcrashd")} == set(), sorted(left)
    assert "/var/lib/kcrashd/state.db" in left
