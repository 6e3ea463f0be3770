"""Persistence: the SQLite state (state.py holds the schema and migrations; positions,
alerts, reports, incidents) and snapshot files (snapshots.py: durable writes, listing,
loading, retention; what a snapshot captures is kcrashd.snapshots').

May import model, config (the retention settings) and host.durable (the one durable file
write); reads no host state.
"""
