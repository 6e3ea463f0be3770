"""A stand-in for journald in unit tests (integration tests use a real journald): it keeps
what it is sent, stores it unless told to lose or refuse it, and answers the look-ups the
outbox makes (kcrashd.sinks.journald.Journal's interface)."""

from __future__ import annotations

import itertools
from typing import Dict, List, Optional, Set, Tuple

from kcrashd.model import Alert


class RecordingJournal:
    def __init__(self, stored: Optional[Set[str]] = None) -> None:
        self.sent: List[Tuple[Alert, str]] = []  # every send journald took, in order
        self.entries: Dict[str, Alert] = {}  # what it stored, by alert id
        self.preloaded = set(stored or ())  # ids "already in the journal" (earlier runs)
        self.refuse: Optional[OSError] = None  # raise this on send (journald down)
        self.lose = False  # take sends but store nothing (journald dies with them)
        self.probes: List[str] = []
        self.stored_probes: Set[str] = set()
        self.lookups: List[str] = []
        self._n = itertools.count()

    def send(self, alert: Alert, alert_id: str) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append((alert, alert_id))
        if not self.lose:
            self.entries[alert_id] = alert

    def stored(self, alert_id: str) -> bool:
        self.lookups.append(alert_id)
        return alert_id in self.entries or alert_id in self.preloaded

    def probe(self) -> str:
        if self.refuse is not None:
            raise self.refuse
        token = f"probe-{next(self._n)}"
        self.probes.append(token)
        if not self.lose:
            self.stored_probes.add(token)
        return token

    def probe_stored(self, token: str) -> bool:
        return token in self.stored_probes

    def close_idle(self) -> None:
        pass

    def close(self) -> None:
        pass

    @property
    def alerts(self) -> List[Alert]:
        return [a for a, _ in self.sent]
