"""Loads the post-mortem fixture builders (tests/fixtures/postmortem/roots.py) by path."""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "postmortem" / "roots.py"
_spec = importlib.util.spec_from_file_location("kcrashd_pm_roots", _PATH)
roots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(roots)
