"""`kcrashd check` text and --json on every fixture root, compared with tests/golden/check/.

What is fixed so that the output is the same on every machine: the roots are copied onto a
tmpfs of a fixed size, so dump_space (the free space under the root's /var/crash) prints the
same figures everywhere; the config is an empty file, not this host's /etc/kcrashd; colours
are off (the output is not a terminal). Nothing is rewritten in the output itself.
Regenerate: `pytest -m golden --update-golden` (see the README's development notes).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from kcrashd.cli import main
from tests.helpers import GOLDEN_DIR
from tests.unit.checks.conftest import copy_roots, scenarios

pytestmark = pytest.mark.golden
FS_SIZE = "64g"  # the filesystem the golden roots sit on: what dump_space measures


@pytest.fixture(scope="module")
def fixed_roots(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("the golden roots are copied onto a tmpfs: run as root (CI runs as root)")
    mnt = tmp_path_factory.mktemp("golden-roots")
    mount = ["mount", "-t", "tmpfs", "-o", f"size={FS_SIZE},mode=0755", "kcrashd-golden"]
    subprocess.run([*mount, str(mnt)], check=True, timeout=30)
    try:
        yield copy_roots(mnt)
    finally:
        subprocess.run(["umount", str(mnt)], check=True, timeout=30)


def _check(capsys, config, root, *extra: str):
    code = main(["--config", str(config), "check", "--root", str(root), *extra])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


@pytest.mark.parametrize("scenario", scenarios())
def test_check_output_on_each_root(fixed_roots, scenario, tmp_path, capsys, golden):
    config = tmp_path / "kcrashd.yaml"
    config.write_text("{}\n")
    root = fixed_roots / scenario
    code, text = _check(capsys, config, root)
    json_code, doc_text = _check(capsys, config, root, "--json")
    doc = json.loads(doc_text)
    assert code == json_code == doc["exit_code"]
    assert str(fixed_roots) not in text + doc_text  # nothing machine-specific to normalise
    golden.check(f"check/{scenario}.txt", text)
    golden.check(f"check/{scenario}.json", doc_text)


def test_every_golden_file_has_a_root(golden):
    # a root removed from tests/fixtures/roots takes its golden files with it
    expected = {f"{s}.{ext}" for s in scenarios() for ext in ("txt", "json")}
    stale = [p for p in (GOLDEN_DIR / "check").iterdir() if p.name not in expected]
    if golden.update:
        for path in stale:
            path.unlink()
        return
    assert not stale, f"golden files of roots that are gone: {stale}: --update-golden removes them"
