"""Pre-crash snapshots: capturing the state of the host while it still can be.

capture.py reads the items (meminfo, vmstat, PSI, processes, the recent kernel log ...)
through kcrashd.host readers, each cut to a size cap, unreadable ones kept as missing with
the reason, within a time budget; taker.py takes a snapshot (capture, then the durable
write and retention of kcrashd.store.snapshots, then the pmsg breadcrumb) and is the
daemon's rate-limited SnapshotTaker that reports a failure as a snapshot_failed alert.

May import model, config, host, sources (the kernel log readers), store and
sinks.breadcrumbs; never alerts, daemon, postmortem or cli.
"""
