"""Where each kernel log source resumes (the `positions` table).

A position is the source's opaque resume point (journal cursor, kmsg sequence number).
Normally it names the last record fully handled, and reading resumes after it. When a crash
report is still open, the daemon saves the position of the report's first record instead,
marked `inclusive`, so that record is read again after a restart and the report is not lost.
Callers own the transaction (the daemon commits a position with the alerts it produced).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

_INCLUSIVE = "at:"


@dataclass(frozen=True)
class Position:
    value: str
    boot_id: Optional[str] = None
    inclusive: bool = False  # resume AT this record (it starts an unfinished report)

    def encode(self) -> str:
        return (_INCLUSIVE if self.inclusive else "") + self.value


def decode(text: str, boot_id: Optional[str] = None) -> Position:
    if text.startswith(_INCLUSIVE):
        return Position(text[len(_INCLUSIVE) :], boot_id, True)
    return Position(text, boot_id, False)


def load_position(conn: Any, source: str) -> Optional[Position]:
    c = getattr(conn, "conn", conn)
    row = c.execute("SELECT boot_id, position FROM positions WHERE source=?", (source,)).fetchone()
    return None if row is None else decode(row[1], row[0])


def save_position(conn: Any, source: str, position: Position, now: Optional[float] = None) -> None:
    c = getattr(conn, "conn", conn)
    c.execute(
        "INSERT INTO positions(source, boot_id, position, updated) VALUES(?,?,?,?) "
        "ON CONFLICT(source) DO UPDATE SET boot_id=excluded.boot_id, "
        "position=excluded.position, updated=excluded.updated",
        (source, position.boot_id, position.encode(), time.time() if now is None else now),
    )
