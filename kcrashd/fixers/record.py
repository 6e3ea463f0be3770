"""What `kcrashd fix --apply` wrote, with what was there before, for `kcrashd fix --undo`.

One JSON document in the state directory of the root that was fixed (an image keeps its
own), mode 0600: a list of applications, each with the files it wrote (previous bytes,
mode and owner, and a hash of what it wrote), the directories it created, the files its
commands changed (update-grub, grubby) and the commands to run on undo. It is saved before
the first file is written and after every step, so an interrupted run can still be undone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any, Dict, List, Optional

from kcrashd.host import writer
from kcrashd.host.root import Root

NAME = "fix-record.json"
SCHEMA = 1


class RecordError(Exception):
    """The record exists but cannot be read: nothing is applied or undone over it."""


def digest(data: Optional[bytes]) -> Optional[str]:
    return None if data is None else hashlib.sha256(data).hexdigest()


def file_entry(state: writer.FileState) -> Dict[str, Any]:
    """A file as it was before kcrashd changed it."""
    return {
        "path": state.path,
        "before": None if state.data is None else base64.b64encode(state.data).decode(),
        "mode": state.mode,
        "uid": state.uid,
        "gid": state.gid,
        "after_sha256": None,
    }


def before_state(entry: Dict[str, Any]) -> writer.FileState:
    raw = entry.get("before")
    data = None if raw is None else base64.b64decode(raw)
    return writer.FileState(
        entry["path"], data, entry.get("mode"), entry.get("uid"), entry.get("gid")
    )


class Record:
    """The record of one root, loaded from and saved to <state directory>/fix-record.json."""

    def __init__(self, root: Root, state_dir: str) -> None:
        self.root = root
        self.state_dir = state_dir
        self.path = os.path.join(state_dir, NAME)
        self.doc: Dict[str, Any] = {"schema": SCHEMA, "applications": [], "state_dirs": []}

    def load(self) -> Record:
        text = self.root.read_optional(self.path)
        if text is None:
            return self
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict) or not isinstance(doc.get("applications"), list):
                raise ValueError("not a kcrashd fix record")
        except ValueError as exc:
            raise RecordError(f"{self.root.path(self.path)}: unreadable ({exc})") from exc
        self.doc = doc
        self.doc.setdefault("state_dirs", [])
        return self

    @property
    def applications(self) -> List[Dict[str, Any]]:
        return self.doc["applications"]

    def ensure_dir(self) -> None:
        created = writer.make_dirs(self.root, self.state_dir, 0o700)
        self.doc["state_dirs"].extend(created)

    def save(self) -> None:
        data = (json.dumps(self.doc, indent=1, sort_keys=True) + "\n").encode()
        writer.write_file(self.root, self.path, data, mode=0o600, dir_mode=0o700)

    def remove(self) -> None:
        """No application left: the record goes, and the state directories it made."""
        writer.remove_file(self.root, self.path)
        writer.remove_empty_dirs(self.root, self.doc.get("state_dirs", []))
