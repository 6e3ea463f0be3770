"""The README's layout section names every package under kcrashd/, and nothing else."""

from __future__ import annotations

import re

from tests.conftest import PROJECT


def test_readme_layout_matches_the_tree():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("```")[1]
    named = set(re.findall(r"^(kcrashd/\S+)", section, re.M))
    tree = {f"kcrashd/{p.parent.name}/" for p in (PROJECT / "kcrashd").glob("*/__init__.py")}
    assert named == tree | {"kcrashd/model.py"}
