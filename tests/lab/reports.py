"""What each lab crash must be, known by construction, and cutting its report from a log.

The answers come from the lab module's source (tests/lab/module/bad_driver.c) and from the
order the guest driver triggers them in, not from kcrashd: they are ground truth for the
parser. `cut_live()` and `cut_fatal()` take each report's text from a real serial log;
`save_fixtures()` writes them to tests/fixtures/logs/lab/ with their answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from tests.conftest import PROJECT

FIXTURES = PROJECT / "tests" / "fixtures" / "logs" / "lab"
MODULE = "bad_driver"


@dataclass(frozen=True)
class Answer:
    name: str  # the trigger's name in the guest driver (KLAB ... trigger NAME: ...)
    kind: str  # kcrashd's kind (DESIGN.md section 6)
    function: Optional[str]  # the guilty function; None: the report names none
    module: Optional[str]  # the module the guilty function is in
    header: str  # text of the kernel line that starts the report
    taint_includes: str  # taint letters the kernel must report (O, E: the lab module)
    comm: Optional[str] = None  # the task the report names, when that is the point
    victim: Optional[str] = None  # OOM: the task killed (in the report's title)
    panicked: bool = False  # the report ended in a panic
    marker: Optional[str] = None  # text in the report body only it has (default: header)

    @property
    def mark(self) -> str:
        return self.marker or self.header


# The live plan's triggers, in the order the guest driver runs them (the hung task first:
# khungtaskd is silent once the kernel has oopsed). Taint grows: D after the first oops,
# W after the first warning, B after the SLUB report, L after the soft lockup.
LIVE: Tuple[Answer, ...] = (
    Answer("hung_task", "hung_task", "bad_hung_task_func", MODULE, "INFO: task sh:", "OE"),
    Answer(
        "page_fault",
        "page_fault",
        "faulty_driver_func",
        MODULE,
        "BUG: kernel NULL pointer dereference",
        "OE",
    ),
    Answer("bug", "bug", "bad_bug_func", MODULE, "kernel BUG at", "DOE"),
    Answer(
        "warning",
        "warning",
        "bad_warn_func",
        MODULE,
        "WARNING: CPU:",
        "DOE",
        marker="bad_warn_func+",
    ),
    Answer("divide_error", "exception", "bad_divide_func", MODULE, "divide error:", "DWOE"),
    Answer(
        "refcount",
        "warning",
        "bad_refcount_func",
        MODULE,
        "refcount_t: underflow",
        "DWOE",
        marker="at lib/refcount.c:",
    ),
    Answer("uaf", "bug", "bad_uaf_func", MODULE, "BUG bad_uaf (", "DWOE"),
    # A stall names the outermost function of the stuck code: the frame just above the
    # syscall dispatch (vfs_write; debugfs's full_proxy_write is plumbing), as syzkaller's
    # stall rule does, since the instruction pointer of a loop lands anywhere in it. Here that
    # is the module's write handler that called bad_softlockup_func (the report's RIP).
    Answer("soft_lockup", "soft_lockup", "bad_trigger_write", MODULE, "BUG: soft lockup", "BDWOE"),
    Answer(
        "oom",
        "oom_kill",
        None,
        None,
        # whichever task allocated at that moment invokes the OOM killer; the victim is the hog
        "invoked oom-killer:",
        "BDWOEL",
        marker="(lab-memhog)",
        victim="lab-memhog",
    ),
)

# The fatal crashes of the other plans: (plan, leg, answer).
FATAL: Tuple[Tuple[str, int, Answer], ...] = (
    (
        "kdump",
        0,
        Answer(
            "fatal_oops",
            "page_fault",
            "faulty_driver_func",
            MODULE,
            "BUG: kernel NULL pointer dereference",
            "OE",
            panicked=True,
        ),
    ),
    (
        "resets",
        1,
        Answer(
            "sysrq_panic",
            "panic",
            "sysrq_handle_crash",
            None,
            "sysrq: Trigger a crash",
            "",
            panicked=True,
            marker="Kernel panic - not syncing: sysrq triggered crash",
        ),
    ),
    (
        "efi",
        0,
        Answer(
            "sysrq_panic_efi",
            "panic",
            "sysrq_handle_crash",
            None,
            "sysrq: Trigger a crash",
            "",
            panicked=True,
            marker="Kernel panic - not syncing: sysrq triggered crash",
        ),
    ),
)

_KLAB = re.compile(r"KLAB \w+/\d+ [\d.]+ (.*)")


def _klab(line: str) -> Optional[str]:
    m = _KLAB.search(line)
    return m.group(1) if m else None


def cut_live(lines: Sequence[str]) -> Dict[str, List[str]]:
    """The console lines of each live trigger: from its `trigger NAME:` (or `oom:`) line to
    the next trigger's, interleaved output and all, as the serial console had them."""
    out: Dict[str, List[str]] = {}
    current: Optional[str] = None
    for line in lines:
        text = _klab(line)
        if text is not None:
            m = re.match(r"trigger (\w+): echo", text) or re.match(r"(oom): memhog", text)
            if m:
                current = m.group(1)
                out[current] = []
                continue
            if text.startswith("fd:"):
                current = None
        if current is not None:
            out[current].append(line)
    return out


def cut_fatal(lines: Sequence[str], answer: Answer) -> List[str]:
    """The console lines of a fatal crash: from the line before its report to the
    kernel's `Kernel Offset:` line (the last one a panic prints)."""
    start = next((i for i, line in enumerate(lines) if answer.header in line), None)
    if start is None:
        return []
    # from the line that announces it (the module's pr_info, the guest driver's KLAB line)
    start = max(0, start - 1)
    end = next(
        (i for i in range(start, len(lines)) if "Kernel Offset:" in lines[i]), len(lines) - 1
    )
    return list(lines[start : end + 1])


def save_fixtures(
    live_lines: Sequence[str], fatal_lines: Dict[str, Sequence[str]], kernel: str, how: str
) -> List[Path]:
    """Write each report's serial text and tests/fixtures/logs/lab/answers.json.
    `fatal_lines`: the serial lines of each FATAL answer, by its name."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    written = []
    answers = {}
    cuts = cut_live(live_lines)
    items = [(a, cuts.get(a.name, [])) for a in LIVE]
    items += [(a, cut_fatal(fatal_lines[a.name], a)) for _, _, a in FATAL]
    for answer, text in items:
        if not text:
            raise RuntimeError(f"no serial report for {answer.name}")
        path = FIXTURES / f"{answer.name}.serial.txt"
        path.write_text("\n".join(text) + "\n")
        written.append(path)
        doc = asdict(answer)
        doc["kernel"] = kernel
        answers[path.name] = doc
    path = FIXTURES / "answers.json"
    path.write_text(json.dumps({"how": how, "fixtures": answers}, indent=1, sort_keys=True) + "\n")
    written.append(path)
    return written


def load_answers() -> Dict[str, dict]:
    return json.loads((FIXTURES / "answers.json").read_text())["fixtures"]
