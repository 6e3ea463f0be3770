"""needles: the literals a header regex cannot match without, and the search for them.

classify() runs a row's regex only on a text holding one of its needles, and the assembler
passes over a line WANTED does not find: both are exact only if every text a regex matches
holds one of its needles. Checked here on texts generated from each regex (hypothesis);
test_classify_table.py checks classify() against the plain table walk.
"""

from __future__ import annotations

from typing import Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcrashd.parse.headers import _COMPILED, _TABLE, WANTED
from kcrashd.parse.needles import anchors, any_of, fewest, required

SOME = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    "pattern, needles",
    [
        (r"BUG: KASAN: ", ("BUG: KASAN: ",)),
        (r"(?<!\w)BUG: ", ("BUG: ",)),  # lookarounds take no characters
        (r"[Kk]ernel BUG(?: at)?", ("Kernel BUG", "kernel BUG")),
        (r"divide[ _]error: ", ("divide error: ", "divide_error: ")),
        (r"(?:^|[^_A-Z])INFO: ", ("INFO: ",)),  # a negated class is no literal
        (r"PANIC: double fault|double fault: ", ("PANIC: double fault", "double fault: ")),
        # the rarest characters win: WARNING/INFO, not the fourteen lower-case messages
        (r"(?:WARNING|INFO): (?:\S+/\d+ )?(?:possible|lock held by)", ("INFO: ", "WARNING: ")),
        (r"\d(?:abc)+\d", ("abc",)),  # a repeat taken at least once
        (r"\d+\s*", ()),  # no literal at all
        (r"a|\d", ()),  # one alternative without a literal
        (r"(?i:Kernel)", ()),  # flags change what a literal matches
    ],
)
def test_required_literals(pattern: str, needles: Tuple[str, ...]) -> None:
    assert required(pattern) == needles


@pytest.mark.parametrize("name, kind, rx, false_friend, inner", _TABLE, ids=[r[0] for r in _TABLE])
@given(data=st.data())
@SOME
def test_every_match_of_a_header_regex_holds_a_needle(name, kind, rx, false_friend, inner, data):
    needles = required(rx)
    assert needles, name  # else WANTED would find every line
    text = data.draw(st.from_regex(rx))
    assert any(n in text for n in needles)
    assert WANTED.search(text) is not None


def test_wanted_finds_every_needle() -> None:
    needles = {n for row in _COMPILED for n in row[1]}
    assert "" not in needles
    for n in needles:
        assert WANTED.search(f"x {n} y") is not None, n
        assert WANTED.search(f"\u00e9{n}\u0416") is not None, n


@given(keys=st.lists(st.text("abcdEFG:/ ", min_size=1, max_size=5), min_size=1, max_size=6))
@SOME
def test_any_of_finds_a_key_exactly_when_one_is_in_the_text(keys) -> None:
    rx = any_of(fewest(keys))
    for text in ["", "abcdEFG: /" * 2, " ".join(keys), "xx" + keys[-1][:-1]]:
        assert (rx.search(text) is not None) == any(k in text for k in keys), (keys, text)


def test_anchors_share_a_character_when_that_stops_the_search_less_often() -> None:
    # ':' (1.3% of kernel text) covers both; their own rarest, 'i' and 'l', 1.1% each
    assert anchors(["int3: ", "fatal error: "]) == {"int3: ": 4, "fatal error: ": 11}
    # a key with a rare character of its own keeps it
    assert anchors(["SYZFAIL: ", "int3: "])["SYZFAIL: "] == 2
    keys = {n for row in _COMPILED for n in row[1]}
    assert all(0 <= i < len(k) for k, i in anchors(keys).items())


def test_fewest_drops_keys_that_contain_another() -> None:
    assert fewest(["BUG: ", "BUG", "kernel BUG", "INFO: "]) == ("BUG", "INFO: ")
    assert any_of([""]).search("anything") is not None
