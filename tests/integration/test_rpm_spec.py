"""The RPM done the Fedora way, checked on the built package and its spec: every rpmlint
filter explained (test_packages runs rpmlint on both: 0 errors, 0 warnings), no obsolete
tags, the licence marked as such, the modules byte-compiled and every file and directory
owned."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import PROJECT
from tests.integration.built import packages

pytestmark = pytest.mark.slow

SPEC = PROJECT / "packaging" / "rpm" / "kcrashd.spec"
RPMLINTRC = PROJECT / "packaging" / "rpm" / "kcrashd.rpmlintrc"


def _rpm(*args: str) -> str:
    r = subprocess.run(["rpm", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_every_rpmlint_filter_says_why():
    # Each filter, or each group of filters, has the comment that explains it right above.
    for group in RPMLINTRC.read_text().split("\n\n"):
        lines = group.strip().splitlines()
        filters = [line for line in lines if line.startswith("addFilter(")]
        if filters:
            assert lines[0].startswith("#"), f"no reason above: {filters}"
            assert lines[-len(filters) :] == filters, group


def test_no_obsolete_tags():
    spec = SPEC.read_text()
    for tag in ("Group", "Packager", "BuildRoot", "Vendor"):
        assert not re.search(rf"^{tag}:", spec, re.M), tag
    assert "%license LICENSE" in spec


def test_license_file_is_the_gpl2_and_marked_as_a_licence():
    head = (PROJECT / "LICENSE").read_text().split()[:6]
    assert head == ["GNU", "GENERAL", "PUBLIC", "LICENSE", "Version", "2,"]
    flags = _rpm("-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]", str(packages()["rpm"]))
    assert "/usr/share/licenses/kcrashd/LICENSE l" in flags.splitlines()


def test_modules_are_byte_compiled_and_every_directory_is_owned():
    files = _rpm("-qpl", str(packages()["rpm"])).split()
    owned = set(files)
    modules = [f for f in files if f.startswith("/usr/share/kcrashd/") and f.endswith(".py")]
    assert modules
    for module in modules:
        directory, name = module.rsplit("/", 1)
        stem = name[: -len(".py")]
        cached = [f for f in files if f.startswith(f"{directory}/__pycache__/{stem}.cpython-")]
        assert any(f.endswith(".pyc") and ".opt-" not in f for f in cached), module
        assert f"{directory}/__pycache__" in owned, directory
    # every directory of the private module tree is the package's
    for f in files:
        if f.startswith("/usr/share/kcrashd/"):
            assert f.rsplit("/", 1)[0] in owned, f
