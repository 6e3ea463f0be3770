"""The post-mortem daemon job: at start only, look for what the previous boot left."""

from __future__ import annotations

import logging
from typing import Any, List, Optional

from kcrashd.model import Alert

log = logging.getLogger(__name__)


class PostmortemJob:
    name = "postmortem"

    def interval(self, config: Any) -> Optional[float]:
        # None: at start only; 0: never (post-mortem turned off).
        return None if config.postmortem.enabled else 0

    def run(self, ctx: Any) -> List[Alert]:
        from kcrashd.postmortem import run_postmortem

        out = run_postmortem(
            ctx.root,
            ctx.config,
            ctx.state,
            ctx.boot_id,
            journal_dir=ctx.config.journal.directory,
        )
        for note in out.notes:
            log.warning("post-mortem: %s", note)
        ctx.memory["postmortem"] = {
            "previous_boot": out.previous_boot,
            "incidents": [i for i, _ in out.incidents],
            "artifacts": len(out.artifacts),
            "seconds": out.seconds,
        }
        return out.alerts
