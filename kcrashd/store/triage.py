"""Kept vmcore triages: `triage/<incident>.json` in the state directory (0600 in 0700).

crash(8) on a real dump takes tens of seconds (kcrashd.postmortem.triage), so `kcrashd
incidents show` keeps its answer and shows it again from here.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional

from kcrashd.store.snapshots import write_durably


def triage_path(state_dir: str, incident_id: str) -> str:
    return os.path.join(state_dir, "triage", f"{incident_id}.json")


def load(state_dir: str, incident_id: str) -> Optional[Dict[str, Any]]:
    """The kept document, or None (none kept, unreadable, a bad id)."""
    if "/" in incident_id or incident_id.startswith("."):
        return None
    try:
        with open(triage_path(state_dir, incident_id), encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def keep(state_dir: str, incident_id: str, doc: Dict[str, Any]) -> Optional[str]:
    """Keep a document; its path, or None when the state directory is not writable."""
    if "/" in incident_id or incident_id.startswith("."):
        return None
    path = triage_path(state_dir, incident_id)
    try:
        return write_durably(
            os.path.dirname(path), os.path.basename(path), json.dumps(doc, indent=1).encode()
        )
    except OSError:
        return None
