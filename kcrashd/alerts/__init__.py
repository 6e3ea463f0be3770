"""Alerts: the registry of alert types (types.py: name, MESSAGE_ID, priority) and the
pipeline (pipeline.py) that turns crash reports and job alerts into deliveries: dedup by
signature per boot, the storm limit, the sinks, and one SQLite commit with the position.

May import model, config, parse (digests), store and sinks; never daemon, cli or postmortem.
"""
