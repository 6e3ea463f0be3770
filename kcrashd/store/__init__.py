"""Persistence: the SQLite state (state.py holds the schema and migrations; positions,
alerts, reports, incidents) and snapshot files (snapshots.py: durable writes, listing,
retention).

May import model only; reads no host state.
"""
