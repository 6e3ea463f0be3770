"""Crash lab fixtures: the cached guest image and each plan's run, once per session.

The lab runs in CI (`.ci/run` sets KCRASHD_LAB=1; CI=true does too) and by hand with
`bash scripts/lab.sh test`; elsewhere its QEMU tests are skipped, since they take 15-25
minutes. When it runs, a missing QEMU, OVMF, debootstrap or an image that cannot be built is a
failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Callable, Dict, Iterator

import pytest

from tests.lab import image, plans, qemu

ENABLED = os.environ.get("CI", "").lower() == "true" or os.environ.get("KCRASHD_LAB") == "1"
# Judge the last `scripts/lab.sh run PLAN` trees again instead of booting (test work only).
REUSE = os.environ.get("KCRASHD_LAB_REUSE") == "1" and os.environ.get("CI", "") != "true"
HERE = Path(__file__).resolve().parent
TOOLS = ("qemu-system-x86_64", "qemu-img", "debootstrap", "mkfs.ext4", "debugfs", "e2fsck")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lab: boots the crash lab guest under QEMU (slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    if ENABLED:
        return
    skip = pytest.mark.skip(
        reason="crash lab: runs in CI (CI=true) or with KCRASHD_LAB=1 (bash scripts/lab.sh test)"
    )
    for item in items:
        if item.get_closest_marker("lab") is not None:
            item.add_marker(skip)


def _say(request: pytest.FixtureRequest, line: str) -> None:
    """Print past pytest's capture: build and boot times are figures we report."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(line, flush=True)


@pytest.fixture(scope="session")
def lab_image(request: pytest.FixtureRequest) -> image.LabImage:
    if os.geteuid() != 0:
        pytest.fail("the crash lab runs as root (debootstrap, chroot, mkfs.ext4 -d)")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(
            f"crash lab tools missing: {', '.join(missing)} (scripts/dev.sh test installs them)"
        )
    t = time.monotonic()
    try:
        img = image.lab_image(lambda s: _say(request, s))
    except Exception as exc:  # any build failure: loud, with its output
        pytest.fail(f"crash lab image could not be built: {exc}")
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in img.timings.items())
    _say(request, f"lab: image {img.key} ready in {time.monotonic() - t:.1f}s ({timings})")
    return img


@pytest.fixture(scope="session")
def accel(lab_image: image.LabImage, request: pytest.FixtureRequest) -> qemu.Accel:
    a = qemu.probe_accel(lab_image.vmlinuz, lab_image.initrd, image.CACHE)
    _say(request, f"lab: accelerator {a.why}")
    return a


class Runs:
    """Each plan runs once per session, when the first test asks for it."""

    def __init__(self, img: image.LabImage, accel: qemu.Accel, say: Callable[[str], None]):
        self.img = img
        self.accel = accel
        self.say = say
        self.results: Dict[str, plans.PlanResult] = {}
        self.failed: Dict[str, str] = {}

    def get(self, plan: str) -> plans.PlanResult:
        if plan in self.failed:
            pytest.fail(f"lab plan {plan} failed earlier: {self.failed[plan]}")
        if plan not in self.results:
            if REUSE:
                r = plans.load_result(image.SCRATCH / f"manual-{plan}")
                self.say(f"lab: plan {plan} judged from the last manual run ({r.workdir})")
                self.results[plan] = r
                return r
            workdir = image.SCRATCH / f"pytest-{plan}"
            try:
                r = plans.run_plan(self.img, plan, self.accel, workdir, self.say)
            except Exception as exc:
                self.failed[plan] = f"{type(exc).__name__}: {exc}"
                raise
            timings = ", ".join(f"{k} {v:.1f}s" for k, v in r.timings.items())
            self.say(f"lab: plan {plan} done in {r.seconds:.1f}s ({timings})")
            self.results[plan] = r
        return self.results[plan]


@pytest.fixture(scope="session")
def lab_runs(
    lab_image: image.LabImage, accel: qemu.Accel, request: pytest.FixtureRequest
) -> Iterator[Runs]:
    runs = Runs(lab_image, accel, lambda s: _say(request, s))
    yield runs
    if not plans.KEEP and not REUSE:
        for r in runs.results.values():
            shutil.rmtree(r.workdir, ignore_errors=True)
