"""Build the .deb and the RPM with the scripts users run, and check them with the
distributions' own tools: dpkg-deb, lintian, rpm -qpl/-qpi, rpmlint."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from kcrashd import __version__
from kcrashd.cli import COMMANDS
from tests.conftest import PROJECT, require_tool

pytestmark = pytest.mark.slow

DEPENDS = ("python3-systemd", "python3-pyudev", "python3-yaml")
RECOMMENDS = ("smartmontools", "kdump-tools")
RPM_REQUIRES = ("python3-systemd", "python3-pyudev", "python3-pyyaml")
# kcrashd reads /proc itself and renders its own exposition: neither is asked for.
NOT_NEEDED = ("python3-psutil", "python3-prometheus-client", "python3-prometheus_client")


def _run(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for script in ("build-deb.sh", "build-rpm.sh"):
        r = _run("bash", str(PROJECT / "packaging" / script), str(out))
        assert r.returncode == 0, r.stdout + r.stderr
    return out


@pytest.fixture(scope="module")
def deb(dist) -> Path:
    (path,) = dist.glob("kcrashd_*_all.deb")
    return path


@pytest.fixture(scope="module")
def rpm(dist) -> Path:
    (path,) = dist.glob("kcrashd-*.noarch.rpm")
    return path


def _deb_field(deb: Path, name: str) -> str:
    return _run("dpkg-deb", "--field", str(deb), name).stdout.strip()


def _names(field: str) -> set:
    return {re.split(r"[\s(]", p.strip())[0] for p in field.split(",") if p.strip()}


def test_versions_agree():
    changelog = (PROJECT / "packaging" / "debian" / "changelog").read_text()
    assert changelog.startswith(f"kcrashd ({__version__})")
    spec = (PROJECT / "packaging" / "rpm" / "kcrashd.spec").read_text()
    assert re.search(rf"^Version:\s+{re.escape(__version__)}$", spec, re.M)
    assert f'"kcrashd {__version__}"' in (PROJECT / "doc" / "kcrashd.8").read_text()


def test_man_page_covers_every_command():
    page = (PROJECT / "doc" / "kcrashd.8").read_text()
    for name, _module, _help in COMMANDS:
        assert re.search(rf"^\.B kcrashd {name}$", page, re.M), name
        assert re.search(rf"^\.B {name}$", page, re.M), name
    for section in ("EXIT STATUS", "FILES", "JOURNAL FIELDS", "EXAMPLES"):
        assert f".SH {section}" in page
    r = _run("man", "--warnings", "-l", "-Tutf8", str(PROJECT / "doc" / "kcrashd.8"))
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


def test_deb_metadata(deb):
    assert deb.name == f"kcrashd_{__version__}_all.deb"
    assert _deb_field(deb, "Architecture") == "all"
    assert set(DEPENDS) <= _names(_deb_field(deb, "Depends"))
    assert set(RECOMMENDS) <= _names(_deb_field(deb, "Recommends"))
    asked = _names(_deb_field(deb, "Depends")) | _names(_deb_field(deb, "Recommends"))
    assert not asked & set(NOT_NEEDED)


def test_deb_contents(deb):
    listing = _run("dpkg-deb", "--contents", str(deb)).stdout
    files = {line.split()[5].lstrip(".") for line in listing.splitlines()}
    for path in (
        "/usr/bin/kcrashd",
        "/lib/systemd/system/kcrashd.service",
        "/usr/lib/systemd/catalog/kcrashd.catalog",
        "/usr/lib/modules-load.d/kcrashd.conf",
        "/etc/kcrashd/kcrashd.yaml",
        "/etc/kcrashd/conf.d/",
        "/etc/kcrashd/hooks.d/",
        "/var/lib/prometheus/node-exporter/",  # there when the unit starts: ReadWritePaths=
        "/usr/share/man/man8/kcrashd.8.gz",
        "/usr/share/doc/kcrashd/copyright",
        "/usr/share/doc/kcrashd/examples/kcrashd-rules.yml",
        "/usr/share/doc/kcrashd/examples/kcrashd-fleet.json",
        "/usr/share/doc/kcrashd/examples/kcrashd-alertmanager.yml",
        "/usr/lib/python3/dist-packages/kcrashd/cli/__init__.py",
        "/usr/lib/python3/dist-packages/kcrashd/sinks/metrics_job.py",
        "/usr/lib/python3/dist-packages/kcrashd/daemon/loop.py",
    ):
        assert path in files, path
    assert not any(
        "__pycache__" in f or f.startswith("/usr/lib/python3/dist-packages/tests") for f in files
    )


def test_deb_maintainer_scripts(deb, tmp_path):
    r = _run("dpkg-deb", "--control", str(deb), str(tmp_path / "control"))
    assert r.returncode == 0, r.stderr
    control = tmp_path / "control"
    assert (control / "conffiles").read_text().split() == ["/etc/kcrashd/kcrashd.yaml"]
    postinst = (control / "postinst").read_text()
    assert "deb-systemd-helper enable 'kcrashd.service'" in postinst  # enabled on install
    assert "deb-systemd-invoke $_dh_action 'kcrashd.service'" in postinst  # and started
    postrm = (control / "postrm").read_text()
    assert "rm -rf /var/lib/kcrashd /etc/kcrashd" in postrm


def test_lintian_reports_no_errors(deb):
    r = _run(require_tool("lintian"), "--fail-on", "error", "--no-tag-display-limit", str(deb))
    assert r.returncode == 0, r.stdout + r.stderr
    assert not re.search(r"^E: ", r.stdout, re.M), r.stdout


def test_rpm_metadata(rpm):
    info = _run("rpm", "-qpi", str(rpm)).stdout
    assert re.search(rf"^Version\s*: {re.escape(__version__)}$", info, re.M), info
    assert re.search(r"^Architecture\s*: noarch$", info, re.M), info
    assert re.search(r"^License\s*: GPL-2.0-or-later$", info, re.M), info
    requires = set(_run("rpm", "-qp", "--requires", str(rpm)).stdout.split())
    assert set(RPM_REQUIRES) <= requires
    assert not requires & set(NOT_NEEDED)
    recommends = set(_run("rpm", "-qp", "--recommends", str(rpm)).stdout.split())
    assert not recommends & set(NOT_NEEDED)
    scripts = _run("rpm", "-qp", "--scripts", str(rpm)).stdout
    assert "journalctl --update-catalog" in scripts
    assert "systemctl --no-reload preset kcrashd.service" in scripts  # the %systemd_post fallback


def test_rpm_file_list(rpm):
    files = set(_run("rpm", "-qpl", str(rpm)).stdout.split())
    for path in (
        "/usr/bin/kcrashd",
        "/usr/lib/systemd/system/kcrashd.service",
        "/usr/lib/systemd/catalog/kcrashd.catalog",
        "/usr/lib/modules-load.d/kcrashd.conf",
        "/etc/kcrashd/kcrashd.yaml",
        "/etc/kcrashd/conf.d",
        "/etc/kcrashd/hooks.d",
        "/var/lib/prometheus/node-exporter",
        "/usr/share/man/man8/kcrashd.8.gz",
        "/usr/share/kcrashd/kcrashd/cli/__init__.py",
    ):
        assert path in files, path
    # %doc: /usr/share/doc/kcrashd on Fedora and RHEL, kcrashd-VERSION with Debian's rpm
    docs = {f.rsplit("/", 1)[1] for f in files if f.startswith("/usr/share/doc/kcrashd")}
    assert {"kcrashd-rules.yml", "kcrashd-fleet.json", "kcrashd-alertmanager.yml"} <= docs
    flags = _run("rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]", str(rpm)).stdout
    assert "/etc/kcrashd/kcrashd.yaml cn" in flags  # %config(noreplace)


def test_rpm_wrapper_runs_the_packaged_code(rpm, tmp_path):
    # Unpack the payload and run its /usr/bin/kcrashd against the unpacked private dir.
    root = tmp_path / "root"
    root.mkdir()
    r = subprocess.run(
        f"rpm2cpio {rpm} | cpio -idm --quiet",
        shell=True,
        cwd=root,
        capture_output=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    wrapper = (root / "usr/bin/kcrashd").read_text()
    assert wrapper.startswith("#!/usr/bin/python3 -s\n")
    patched = wrapper.replace('"/usr/share/kcrashd"', repr(str(root / "usr/share/kcrashd")))
    out = _run("/usr/bin/python3", "-c", patched, "--version")
    assert out.stdout.strip() == f"kcrashd {__version__}", out.stdout + out.stderr


def test_rpmlint_reports_no_errors(rpm):
    # The spec and the package together: the rpmlintrc filters findings of both, and a
    # filter that matches nothing is an error (unused-rpmlintrc-filter).
    rc = PROJECT / "packaging" / "rpm" / "kcrashd.rpmlintrc"
    spec = PROJECT / "packaging" / "rpm" / "kcrashd.spec"
    r = _run(require_tool("rpmlint"), "--rpmlintrc", str(rc), str(spec), str(rpm))
    assert " 0 errors, 0 warnings" in r.stdout, r.stdout + r.stderr
