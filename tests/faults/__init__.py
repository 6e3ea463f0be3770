"""Fault injection for tests and the fault campaign (benchmarks/fault_campaign.py): a
launcher that stops kcrashd dead at a chosen point, and a private systemd-journald that a
test may kill, restart, rotate and vacuum without touching anyone else's journal."""
