"""The Nagios and Icinga 2 examples load in the real programs: `nagios4 -v` and
`icinga2 daemon -C` (Debian 12's nagios4-core and icinga2-bin, in a cached Debian root run
with systemd-nspawn) accept, without a warning, a configuration that includes them as an
admin would. (The plugin output itself: tests/unit/checks/test_nagios.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from tests.integration.test_install import INCLUDE, nspawn, pristine_root

pytestmark = [pytest.mark.slow, pytest.mark.root]

# nagios4-common needs a mailx, which needs an MTA (postfix, as in the operator root);
# debootstrap does not resolve icinga2-bin's virtual libboost-regex1.74.0-icu72.
MONITORING_INCLUDE = (
    *INCLUDE,
    "postfix",
    "nagios4-core",
    "icinga2-bin",
    "icinga2-common",
    "libboost-regex1.74.0",
)
EXAMPLES = PROJECT / "examples"

NAGIOS_CFG = """log_file=/srv/mon/nagios.log
cfg_file=/srv/mon/objects.cfg
cfg_file=/srv/mon/kcrashd.cfg
resource_file=/srv/mon/resource.cfg
status_file=/srv/mon/status.dat
temp_file=/srv/mon/nagios.tmp
lock_file=/srv/mon/nagios.lock
check_result_path=/srv/mon/checkresults
nagios_user=root
nagios_group=root
illegal_macro_output_chars=`~$&|'"<>
"""

NAGIOS_OBJECTS = """define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}
define contact {
    contact_name                  root
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    check_kcrashd_local
    service_notification_commands check_kcrashd_local
}
define host {
    host_name             db-01
    address               127.0.0.1
    max_check_attempts    3
    check_period          24x7
    contacts              root
    notification_interval 0
    notification_period   24x7
}
define service {
    name                  kcrashd-service
    register              0
    max_check_attempts    3
    check_interval        60
    retry_interval        5
    check_period          24x7
    contacts              root
    notification_interval 0
    notification_period   24x7
}
define service {
    use                   kcrashd-service
    host_name             db-01
    service_description   kcrashd crash readiness
    check_command         check_kcrashd
}
define service {
    use                   kcrashd-service
    host_name             db-01
    service_description   kcrashd kdump
    check_command         check_kcrashd_local!--only kdump_loaded panic_on_oops
}
"""

# A master with one agent, as zones.conf and zones.d/master/hosts.conf would have them.
ICINGA_MAIN = """include <itl>
include "/srv/mon/kcrashd.conf"
const NodeName = "master.example.com"
object Endpoint "master.example.com" { }
object Zone "master" { endpoints = [ "master.example.com" ] }
object Endpoint "db-01.example.com" { }
object Zone "db-01.example.com" { endpoints = [ "db-01.example.com" ]; parent = "master" }
object Host "db-01" {
  zone = "master"
  address = "127.0.0.1"
  check_command = "dummy"
  vars.os = "Linux"
  vars.agent_endpoint = "db-01.example.com"
  vars.kcrashd_only = [ "kdump_loaded", "panic_on_oops" ]
}
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("monitoring") / "root"
    r = subprocess.run(
        ["cp", "-a", "--reflink=auto", str(pristine_root(MONITORING_INCLUDE)), str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    mon = root / "srv" / "mon"
    (mon / "checkresults").mkdir(parents=True)
    shutil.copy(EXAMPLES / "nagios" / "kcrashd.cfg", mon)
    shutil.copy(EXAMPLES / "icinga2" / "kcrashd.conf", mon)
    (mon / "nagios.cfg").write_text(NAGIOS_CFG)
    (mon / "objects.cfg").write_text(NAGIOS_OBJECTS)
    (mon / "resource.cfg").write_text("$USER1$=/usr/lib/nagios/plugins\n")
    (mon / "icinga2.conf").write_text(ICINGA_MAIN)
    for path in (mon, *mon.iterdir()):  # icinga2 reads them as its own user
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_nagios_accepts_the_command_definitions(root):
    r = nspawn(root, "nagios4", "-v", "/srv/mon/nagios.cfg", timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "Total Warnings: 0" in out and "Total Errors:   0" in out, out
    assert "Checked 2 services." in out and "Checked 2 commands." in out, out


def test_icinga2_accepts_the_check_command(root):
    r = nspawn(
        root,
        "icinga2", "daemon", "-C", "-c", "/srv/mon/icinga2.conf", "-x", "information",
        timeout=120,
    )  # fmt: skip
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "Instantiated 1 Service." in out, out  # kcrashd, applied to the agent host
    assert "Finished validating the configuration file(s)." in out, out
    assert not re.search(r"\b(warning|critical)/", out), out
