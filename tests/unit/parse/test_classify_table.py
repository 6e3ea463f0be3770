"""classify() against the plain walk of the detection table it speeds up (needles, keyword
check last): the same header and column on every line of the real logs beside the checkout
(../shared/corpus/syzkaller/logs, the lab's serial logs) and on mixed header lines."""

from __future__ import annotations

import re
from typing import Optional, Tuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcrashd.parse.headers import _TABLE, Header, classify, may_start_report
from tests.unit.parse import logs
from tests.unit.parse.corpus import CORPUS
from tests.unit.parse.test_wants import HEADERS

SOME = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LAB = logs.LOGS / "lab"


def _table_walk(text: str) -> Optional[Tuple[Header, int]]:
    """classify() as the table reads, without needles."""
    if not may_start_report(text):
        return None
    for name, kind, rx, false_friend, inner in _TABLE:
        m = re.search(rx, text)
        if m and not (false_friend and re.search(false_friend, text)):
            return Header(name, kind, inner), m.start()
    return None


def test_classify_is_the_table_walk_on_real_logs() -> None:
    files = sorted(p for p in (CORPUS / "logs").iterdir() if p.is_file())
    files += sorted(LAB.glob("*.serial.txt"))
    assert len(files) > 100
    lines = {
        line
        for p in files
        for line in p.read_bytes().decode("utf-8", "replace").split("\n")
        if may_start_report(line)  # the others are None both ways
    }
    lines.update(HEADERS.values())
    assert len(lines) > 1000
    for line in lines:
        assert classify(line) == _table_walk(line), line


@given(
    st.lists(
        st.sampled_from(sorted(HEADERS.values()) + ["INFO: ", "out of memory: Kill", "x"]),
        max_size=3,
    ),
    st.text(max_size=20),
)
@SOME
def test_classify_is_the_table_walk_on_mixed_headers(parts, noise) -> None:
    text = noise.join(parts)
    assert classify(text) == _table_walk(text)
