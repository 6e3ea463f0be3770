"""Alerts across machines on the systemd journal's own remote: three booted hosts, one
collector, and `kcrashd fleet` over what the collector received.

Each host is a Debian 12 root (the install test's cached debootstrap root) with the built
.deb and systemd-journal-remote installed, its own machine id and hostname, booted with
systemd-nspawn inside a network namespace the test made. The namespaces are joined by veth
pairs to a bridge in the collector's namespace (198.51.100.0/24, TEST-NET-2, on links that
exist only inside those namespaces): nothing leaves the machine. The collector is
`systemd-journal-remote --listen-http` in its namespace; each host runs
`systemd-journal-upload` (enabled, URL in journal-upload.conf.d).

A crash per host: containers get no /dev/kmsg, so the kernel cannot speak in them. What a
real crash leaves for the next boot is planted instead: the systemd-pstore archive of an
EFI pstore dump (hosts 1 and 2, the post-mortem tests' NULL pointer dereference in
foo_ioctl) and a Debian kdump directory (host 3, the RHEL 9-style general protection fault
of tests/fixtures/logs/synthetic/distro). kcrashd.service reads them at start (its post-mortem pass)
and sends previous_boot_crashed, which journal-upload carries to the collector.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List

import pytest

from kcrashd.alerts.types import message_id
from tests.conftest import PROJECT, require_tool
from tests.integration.test_install import CHECK_UNIT, _log, _run, nspawn, pristine_root
from tests.postmortem_roots import debian_dump, systemd_pstore_archive

pytestmark = [pytest.mark.slow, pytest.mark.root]

PREVIOUS = message_id("previous_boot_crashed")
SUMMARY = message_id("readiness_summary")
NET = "198.51.100"  # TEST-NET-2 (RFC 5737): documentation only, never routed
COLLECTOR = f"{NET}.1"
PORT = 19532
GPF_LOG = PROJECT / "tests/fixtures/logs/synthetic/distro/rhel9_gpf_notainted.txt"
HOSTS = 3

# Runs inside each booted host after multi-user.target; every wait is bounded.
HOST_SCRIPT = r"""#!/bin/sh
O=/root/kctest/out
mkdir -p $O
for i in $(seq 1 300); do [ "$(systemctl is-active kcrashd)" = active ] && break; sleep 0.2; done
for i in $(seq 1 300); do
    timeout 30 journalctl -q -o json MESSAGE_ID=@PREVIOUS@ > $O/alert.json 2>&1
    [ -s $O/alert.json ] && break
    sleep 0.2
done
systemctl show systemd-journal-upload -p ActiveState,NRestarts > $O/upload-state
# The test touches /root/kctest/stop once the collector has every host's alert and summary.
for i in $(seq 1 900); do [ -e /root/kctest/stop ] && break; sleep 0.2; done
timeout 30 journalctl -u kcrashd --no-pager -o cat > $O/kcrashd.log 2>&1
timeout 30 journalctl -u systemd-journal-upload --no-pager -o cat > $O/upload.log 2>&1
echo done > $O/done
systemctl poweroff
"""

# The install test's unit, running this script.
HOST_UNIT = CHECK_UNIT.replace("install test", "fleet test").replace("check.sh", "host.sh")
assert "ExecStart=/root/kctest/host.sh" in HOST_UNIT


def ip(*argv: str) -> None:
    r = _run([require_tool("ip"), *argv], timeout=30)
    assert r.returncode == 0, f"ip {' '.join(argv)}: {r.stderr}"


class PrivateNetwork:
    """A collector namespace with a bridge, and one namespace per host joined to it."""

    def __init__(self, hosts: int) -> None:
        tag = uuid.uuid4().hex[:6]
        self.collector = f"kcf{tag}c"
        self.hosts = [f"kcf{tag}{i}" for i in range(1, hosts + 1)]
        self.made: List[str] = []

    def __enter__(self) -> PrivateNetwork:
        c = self.collector
        for ns in [c, *self.hosts]:
            ip("netns", "add", ns)
            self.made.append(ns)
            ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", c, "link", "add", "br0", "type", "bridge")
        ip("-n", c, "addr", "add", f"{COLLECTOR}/24", "dev", "br0")
        ip("-n", c, "link", "set", "br0", "up")
        for i, ns in enumerate(self.hosts, start=1):
            # Made inside the namespaces: the links never exist in the machine's own.
            ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", f"port{i}")
            ip("-n", ns, "link", "set", f"port{i}", "netns", c)
            ip("-n", c, "link", "set", f"port{i}", "master", "br0", "up")
            ip("-n", ns, "addr", "add", f"{self.address(i)}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
        return self

    @staticmethod
    def address(i: int) -> str:
        return f"{NET}.{10 + i}"

    def __exit__(self, *exc) -> None:
        for ns in self.made:
            _run([require_tool("ip"), "netns", "del", ns], timeout=30)


def plant_crash(root: Path, i: int, crash_time: float) -> str:
    """What a crash of the previous boot leaves on host i; returns the kind of evidence."""
    if i < 3:
        systemd_pstore_archive(root, crash_time, record_base=str(int(crash_time)))
        return "pstore"
    directory = debian_dump(root, crash_time)
    (dmesg,) = directory.glob("dmesg.*")
    dmesg.write_text(GPF_LOG.read_text())
    return "kdump"


def prepare_host(base: Path, root: Path, i: int, netns: str) -> Dict[str, str]:
    r = _run(["cp", "-a", "--reflink=auto", str(base), str(root)], timeout=300)
    assert r.returncode == 0, r.stderr
    machine, hostname = uuid.uuid4().hex, f"fleet-host{i}"
    (root / "etc" / "machine-id").write_text(machine + "\n")
    (root / "etc" / "hostname").write_text(hostname + "\n")
    evidence = plant_crash(root, i, time.time() - 3600)
    kctest = root / "root" / "kctest"
    kctest.mkdir(parents=True, exist_ok=True)
    (kctest / "host.sh").write_text(HOST_SCRIPT.replace("@PREVIOUS@", PREVIOUS))
    (kctest / "host.sh").chmod(0o755)
    conf = root / "etc" / "systemd" / "journal-upload.conf.d"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "fleet-test.conf").write_text(f"[Upload]\nURL=http://{COLLECTOR}:{PORT}\n")
    units = root / "etc" / "systemd" / "system"
    (units / "kctest.service").write_text(HOST_UNIT)
    wants = units / "multi-user.target.wants"
    wants.mkdir(exist_ok=True)
    for unit, target in (
        ("kctest.service", "/etc/systemd/system/kctest.service"),
        ("systemd-journal-upload.service", "/lib/systemd/system/systemd-journal-upload.service"),
    ):
        if not (wants / unit).is_symlink():
            (wants / unit).symlink_to(target)
    return {"machine": machine, "hostname": hostname, "evidence": evidence, "netns": netns}


def collector_entries(directory: Path, *matches: str) -> List[dict]:
    out = _run(["journalctl", "--directory", str(directory), "-o", "json", *matches], timeout=60)
    return [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]


@pytest.fixture(scope="module")
def fleet(request, tmp_path_factory) -> Dict:
    start = time.monotonic()
    times: Dict[str, float] = {}

    def lap(name: str) -> None:  # how long each phase took, since the last lap
        times[name] = time.monotonic() - start - sum(times.values())

    require_tool("systemd-nspawn")
    remote = Path("/lib/systemd/systemd-journal-remote")
    assert remote.exists(), "systemd-journal-remote is not installed (scripts/dev.sh test)"
    work = tmp_path_factory.mktemp("fleet")
    r = _run(["bash", str(PROJECT / "packaging" / "build-deb.sh"), str(work)], timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (deb,) = work.glob("kcrashd_*_all.deb")
    lap("build .deb")

    base = work / "base"
    r = _run(["cp", "-a", "--reflink=auto", str(pristine_root()), str(base)], timeout=300)
    assert r.returncode == 0, r.stderr
    (base / "root" / "kctest").mkdir(parents=True)
    shutil.copy(deb, base / "root" / "kctest" / "kcrashd.deb")
    install = "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
    install += "--no-install-recommends systemd-journal-remote /root/kctest/kcrashd.deb"
    r = nspawn(base, "/bin/sh", "-c", install, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    lap("install .deb and journal-upload")

    incoming = work / "collector"
    incoming.mkdir()
    hosts: List[Dict[str, str]] = []
    with PrivateNetwork(HOSTS) as net, contextlib.ExitStack() as logs:
        for i, ns in enumerate(net.hosts, start=1):
            hosts.append(prepare_host(base, work / f"host{i}", i, ns))
        shutil.rmtree(base)
        lap("three hosts")

        collector = subprocess.Popen(
            [require_tool("ip"), "netns", "exec", net.collector, str(remote)]
            + [f"--listen-http={COLLECTOR}:{PORT}", f"--output={incoming}/", "--split-mode=host"],
            stdout=subprocess.DEVNULL,
            stderr=logs.enter_context(open(work / "collector.log", "w")),
        )
        boots = []
        for i, h in enumerate(hosts, start=1):
            argv = [require_tool("systemd-nspawn"), "-q", "-D", str(work / f"host{i}")]
            argv += ["--register=no", "--keep-unit", "-b", "--console=pipe"]
            argv += [
                f"--machine={h['hostname']}",
                f"--network-namespace-path=/run/netns/{h['netns']}",
            ]
            boots.append(
                subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=logs.enter_context(open(work / f"console{i}.log", "w")),
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            # Wait until the collector holds every host's alert and readiness summary (the
            # readiness job may send its summary after the alert), then let the hosts go.
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline and any(b.poll() is None for b in boots):
                if all(
                    len({e.get("_MACHINE_ID") for e in collector_entries(incoming, match)}) >= HOSTS
                    for match in (f"MESSAGE_ID={PREVIOUS}", f"MESSAGE_ID={SUMMARY}")
                ):
                    break
                time.sleep(0.5)
            lap("boot, alert, upload")
            # what the machine's own network namespace sees meanwhile
            own_net = _run(["ip", "-o", "addr", "show"], timeout=30).stdout
            own_net += _run(["ss", "-Hltn"], timeout=30).stdout
            for i in range(1, HOSTS + 1):
                (work / f"host{i}" / "root" / "kctest" / "stop").touch()
            for b in boots:
                try:
                    b.wait(90)
                except subprocess.TimeoutExpired:
                    b.kill()
                    b.wait(10)
            lap("power off")
        finally:
            for b in boots:
                if b.poll() is None:
                    b.kill()
                    b.wait(10)
            collector.terminate()
            try:
                collector.wait(30)
            except subprocess.TimeoutExpired:
                collector.kill()
                collector.wait(10)

    fleet_cmd = [sys.executable, "-m", "kcrashd", "fleet", "--journal-dir", str(incoming)]
    out = subprocess.run(
        fleet_cmd + ["--json"], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    text = subprocess.run(fleet_cmd, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    lap("kcrashd fleet")
    for i, h in enumerate(hosts, start=1):
        o = work / f"host{i}" / "root" / "kctest" / "out"
        h["out"] = (
            {p.name: p.read_text(errors="replace") for p in o.iterdir()} if o.exists() else {}
        )
        h["console"] = (work / f"console{i}.log").read_text(errors="replace")
    total = time.monotonic() - start
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
    _log(request, f"\nfleet test: {total:.1f} s ({phases})\n{text.stdout}")
    yield {
        "hosts": hosts,
        "collector": incoming,
        "collector_log": (work / "collector.log").read_text(errors="replace"),
        "fleet": out,
        "fleet_text": text,
        "own_net": own_net,
    }
    for i in range(1, HOSTS + 1):
        shutil.rmtree(work / f"host{i}", ignore_errors=True)


def _local_alert(host: Dict) -> dict:
    lines = [x for x in host["out"].get("alert.json", "").splitlines() if x.startswith("{")]
    assert lines, f"{host['hostname']}: no alert\n{host['out'].get('kcrashd.log', '')[-3000:]}"
    assert host["out"].get("done"), host["console"][-3000:]
    return json.loads(lines[0])


def test_each_host_alerted_its_crash(fleet):
    for h in fleet["hosts"]:
        alert = _local_alert(h)
        assert alert["SYSLOG_IDENTIFIER"] == "kcrashd"
        assert alert["KCRASHD_TYPE"] == "previous_boot_crashed"
        assert h["evidence"] in alert["KCRASHD_SOURCES"]
        assert alert["_MACHINE_ID"] == h["machine"] and alert["_HOSTNAME"] == h["hostname"]


def test_every_alert_reaches_the_collector_with_its_fields(fleet):
    arrived = collector_entries(fleet["collector"], f"MESSAGE_ID={PREVIOUS}")
    by_machine = {e["_MACHINE_ID"]: e for e in arrived}
    assert set(by_machine) == {h["machine"] for h in fleet["hosts"]}, fleet["collector_log"]
    for h in fleet["hosts"]:
        local, remote = _local_alert(h), by_machine[h["machine"]]
        assert remote["_HOSTNAME"] == h["hostname"]
        kcrashd_fields = {k: v for k, v in local.items() if k.startswith("KCRASHD_")}
        assert len(kcrashd_fields) > 8
        assert {k: remote.get(k) for k in kcrashd_fields} == kcrashd_fields
        # journald's own fields, which kcrashd fleet trusts, came along too
        assert (remote["_UID"], remote["_COMM"], remote["_TRANSPORT"]) == (
            "0",
            "kcrashd",
            "journal",
        )
        assert remote["_SYSTEMD_UNIT"] == "kcrashd.service"
    # the readiness summaries too (one per host start)
    summaries = collector_entries(fleet["collector"], f"MESSAGE_ID={SUMMARY}")
    assert {e["_MACHINE_ID"] for e in summaries} == {h["machine"] for h in fleet["hosts"]}


def test_fleet_groups_the_crashes_across_the_hosts(fleet):
    out = fleet["fleet"]
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["hosts"] == HOSTS and doc["entries"]["ignored"] == 0
    names = {h["machine"]: h["hostname"] for h in fleet["hosts"]}
    crashes = {tuple(c["host_names"]): c for c in doc["crashes"]}
    assert set(crashes) == {names_of(fleet, 1, 2), names_of(fleet, 3)}, doc["crashes"]
    foo, gpf = crashes[names_of(fleet, 1, 2)], crashes[names_of(fleet, 3)]
    assert (foo["function"], foo["module"], foo["kind"]) == ("foo_ioctl", "foo_drv", "page_fault")
    assert (foo["hosts"], foo["boots"]) == (2, 2)
    assert foo["kernels"] == [{"kernel": "6.1.0-18-amd64", "hosts": 2}]
    assert gpf["kind"] == "gpf" and gpf["function"] == "nvmet_tcp_uninit_data_in_cmds"
    assert gpf["kernels"] == [{"kernel": "5.14.0-362.8.1.el9_3.x86_64", "hosts": 1}]
    assert doc["readiness"]["hosts_reporting"] == HOSTS
    assert set(names.values()) >= set(foo["host_names"] + gpf["host_names"])


def names_of(fleet: Dict, *which: int) -> tuple:
    return tuple(sorted(fleet["hosts"][i - 1]["hostname"] for i in which))


def test_upload_ran_without_restarts(fleet):
    for h in fleet["hosts"]:
        state = h["out"].get("upload-state", "")
        assert "ActiveState=active" in state and "NRestarts=0" in state, (
            state + h["out"].get("upload.log", "")[-2000:]
        )


def test_fleet_text_names_the_hosts(fleet):
    text = fleet["fleet_text"].stdout
    assert text.startswith("kcrashd fleet: 3 hosts; 2 crash signatures on 3 hosts"), text
    assert f"hosts:      {', '.join(names_of(fleet, 1, 2))}" in text
    assert "guilty:     foo_ioctl in module foo_drv" in text


def test_the_network_was_the_tests_own(fleet):
    # Neither the addresses nor the collector's socket exist outside the test's namespaces.
    assert fleet["own_net"].strip()
    assert f"{NET}." not in fleet["own_net"] and f":{PORT}" not in fleet["own_net"]
