"""Bounded input: `kcrashd parse` streams its input through the incremental assembler, and
CommandRunner caps a command's output while it reads it.

The streamed parse must find the same reports as parse_text on every log the project has
(the synthetic logs, the lab's captured ones, the real kernel_log samples in ../shared);
hostile inputs (/dev/zero, a FIFO nobody writes to, a directory) end with one line and exit
2, never a traceback or a hang. Memory on a 1 GB file is measured in
benchmarks/bench_parse_stream.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kcrashd.cli.parse_cmd import parse_stream
from kcrashd.host import inputs
from kcrashd.host.inputs import InputError, read_lines
from kcrashd.parse import parse_text
from tests.conftest import PROJECT, SHARED

LOGS = sorted(
    p
    for d in (PROJECT / "tests/fixtures/logs", SHARED / "fixtures/kernel_log")
    for p in Path(d).rglob("*")
    if p.is_file() and p.suffix in (".txt", ".log", "") and p.name != "README.md"
)


def kcrashd(*args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "kcrashd", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_there_are_logs_to_compare():
    assert len(LOGS) >= 20


@pytest.mark.parametrize("log", LOGS, ids=[str(p.relative_to(p.parents[1])) for p in LOGS])
def test_streamed_parse_finds_what_parse_text_finds(log):
    text = log.read_bytes().decode("utf-8", "replace").replace("\x00", "\ufffd")
    want = [r.to_dict() for r in parse_text(text)]
    got = [r.to_dict() for r in parse_stream(read_lines(str(log), 5.0))]
    assert got == want


def test_a_report_across_the_chunk_boundary(tmp_path):
    oops = (PROJECT / "tests/fixtures/logs/synthetic/seed_npd.txt").read_text()
    filler = "[    1.000000] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n"
    head = filler * (inputs.CHUNK // len(filler))
    text = head[: inputs.CHUNK - 40] + "\n" + oops + filler * 3  # a line cut by the chunk
    path = tmp_path / "big.log"
    path.write_text(text)
    want = [r.to_dict() for r in parse_text(text)]
    assert want and [r.to_dict() for r in parse_stream(read_lines(str(path), 5.0))] == want


def test_dev_zero_ends_with_one_line():
    proc = kcrashd("parse", "/dev/zero")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"kcrashd parse: line 1 is longer than {inputs.MAX_LINE_BYTES} bytes (no newline):"
        " not a text log"
    ]


def test_a_fifo_nobody_writes_to_times_out(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    start = time.monotonic()
    proc = kcrashd("parse", "--idle-timeout", "1", str(fifo))
    assert time.monotonic() - start < 30
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip() == "kcrashd parse: no data for 1 s (a FIFO nobody writes to?): gave up"
    )


def test_a_fifo_with_a_writer_is_parsed(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    oops = (PROJECT / "tests/fixtures/logs/synthetic/seed_npd.txt").read_bytes()

    def write():
        with open(fifo, "wb") as f:
            for i in range(0, len(oops), 100):  # slowly, in pieces
                f.write(oops[i : i + 100])
                f.flush()
                time.sleep(0.01)

    writer = threading.Thread(target=write)
    writer.start()
    got = parse_stream(read_lines(str(fifo), 5.0))
    writer.join()
    assert [r.title for r in got] == [r.title for r in parse_text(oops.decode())]


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: d, "is a directory"),
        (lambda d: d / "missing.log", "No such file or directory"),
    ],
    ids=["directory", "missing"],
)
def test_unreadable_inputs(tmp_path, make, words):
    proc = kcrashd("parse", str(make(tmp_path)))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and words in proc.stderr
    with pytest.raises(InputError):
        list(read_lines(str(make(tmp_path)), 1.0))


def test_stdin_is_streamed_too():
    oops = (PROJECT / "tests/fixtures/logs/synthetic/seed_npd.txt").read_text()
    proc = subprocess.run(
        [sys.executable, "-m", "kcrashd", "parse", "--json", "-"],
        cwd=PROJECT,
        input=oops,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and '"source": "-"' in proc.stdout


RUNNER_PEAK = """
import resource, sys
from kcrashd.host.runner import MAX_OUTPUT_BYTES, CommandRunner
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = CommandRunner().run(["head", "-c", str(300 * 1024 * 1024), "/dev/zero"], timeout=120)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(res.stdout), MAX_OUTPUT_BYTES, res.returncode, (after - before) // 1024)
"""


def test_the_runner_caps_output_while_reading_it():
    # 300 MB of output: kept up to the cap, the rest read and dropped (the command finishes);
    # the runner's own peak grows by about the cap (a buffer-everything runner: 300 MB+).
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER_PEAK], cwd=PROJECT, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip
    kept, cap, code, grew_mb = (int(x) for x in proc.stdout.split())
    assert (kept, code) == (cap, 0)
    assert grew_mb < 3 * cap // (1024 * 1024), grew_mb


def test_json_is_written_as_it_comes_and_ends_with_the_error(tmp_path):
    oops = (PROJECT / "tests/fixtures/logs/synthetic/seed_npd.txt").read_text()
    path = tmp_path / "broken.log"
    path.write_text(oops + "\n" + "x" * (2 * inputs.MAX_LINE_BYTES) + "\n")
    proc = kcrashd("parse", "--json", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stdout.splitlines()
    doc = json.loads(line)
    assert [r["title"] for r in doc["reports"]] == [r.title for r in parse_text(oops)]
    assert "longer than" in doc["error"] and doc["source"] == str(path)
