"""Shared test fixtures: a real systemd-journald, kernel-line injection, golden outputs."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from typing import Iterator, List

import pytest

from tests.helpers import PROJECT, Golden

SHARED = PROJECT.parent / "shared"
JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_SOCKET = "/run/systemd/journal/socket"


def _socket_alive(path: str) -> bool:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


@pytest.fixture(scope="session")
def journald() -> Iterator[None]:
    """A running systemd-journald: the host's if there is one, else one we start and stop."""
    if os.geteuid() != 0:
        pytest.fail("journald tests run as root (CI runs as root)")
    if _socket_alive(JOURNAL_SOCKET):
        yield
        return
    os.makedirs("/run/systemd/journal", exist_ok=True)
    proc = subprocess.Popen(
        [JOURNALD], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while not _socket_alive(JOURNAL_SOCKET):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("systemd-journald did not start")
        time.sleep(0.05)
    yield
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def write_kmsg(lines: List[str], level: int = 4) -> None:
    """Write kernel log lines to /dev/kmsg (root only): journald records _TRANSPORT=kernel.

    The `kernel: ` prefix keeps journald from taking the first word before a colon as the
    syslog identifier.
    """
    with open("/dev/kmsg", "w") as f:
        for line in lines:
            f.write(f"<{level}>kernel: {line}\n")
            f.flush()


def journal_entries(*matches: str, timeout: float = 10.0, want: int = 1) -> List[dict]:
    """Poll `journalctl -o json` with matches until `want` entries appear or time runs out."""
    import json

    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(
            ["journalctl", "--no-pager", "-o", "json", *matches],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        entries = [json.loads(x) for x in out.splitlines() if x.strip()]
        if len(entries) >= want or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


@pytest.fixture
def unique_tag() -> str:
    """A marker to put in injected kernel lines so a test finds only its own entries."""
    return uuid.uuid4().hex[:12]


def require_tool(name: str) -> str:
    """Path of a tool the set-up installs; a missing one is a set-up bug, so fail, not skip."""
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed: scripts/dev.sh test should install it")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the expected outputs in tests/golden/ from what the code prints now",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """Compare an output with its file in tests/golden/ (see tests/helpers.Golden)."""
    update = request.config.getoption("--update-golden")
    return Golden(update or os.environ.get("KCRASHD_UPDATE_GOLDEN") == "1")
