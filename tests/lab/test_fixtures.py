"""The parser against real crash reports of the lab (tests/fixtures/logs/lab/).

Each fixture is the serial console text of one crash the lab module caused on Debian 12's
kernel under QEMU, cut by `bash scripts/lab.sh fixtures`; answers.json says what it must
be, known by construction (the module's source and the order of the triggers), not from
kcrashd. No QEMU here: this runs everywhere, fast.
"""

from __future__ import annotations

from typing import Any, Dict

import pytest

from kcrashd.parse import parse_text
from tests.lab.reports import FIXTURES, load_answers

ANSWERS: Dict[str, Dict[str, Any]] = load_answers() if (FIXTURES / "answers.json").exists() else {}


def test_fixtures_exist():
    assert len(ANSWERS) >= 12, f"tests/fixtures/logs/lab/answers.json lists {len(ANSWERS)}"
    for name in ANSWERS:
        assert (FIXTURES / name).exists(), name


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_parser_on_real_report(name):
    want = ANSWERS[name]
    text = (FIXTURES / name).read_text()
    reports = parse_text(text)
    assert reports, f"{name}: no report found"
    # the trigger's report comes first in its cut (later lines may be other reports, such
    # as the kernel's executive summary of the first oops)
    r = reports[0]
    mark = want.get("marker") or want["header"]
    assert mark in "\n".join(r.lines), f"{name}: first report is {r.title!r}"
    got = {"kind": r.kind, "kernel": r.kernel}
    expect = {"kind": want["kind"], "kernel": want["kernel"]}
    if want["function"] is not None:
        got.update(function=r.function, module=r.module)
        expect.update(function=want["function"], module=want["module"])
    assert got == expect, f"{name}: {r.title}"
    letters = {letter for letter, _ in r.taint}
    assert set(want["taint_includes"]) <= letters, f"{name}: taint {sorted(letters)}"
    if want["comm"]:
        assert r.comm == want["comm"], r.comm
    if want.get("victim"):
        assert want["victim"] in r.title, r.title
    if want["panicked"]:
        assert any(x.panicked or x.kind == "panic" for x in reports), f"{name}: no panic"
