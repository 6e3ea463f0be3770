"""`kcrashd fix`: the safe fixes for readiness findings, derived from the checks' own results.

registry.py maps each fixable check to its fixer function (in sysctl.py, journald.py, kdump.py,
pstore.py, bootloader.py), each of which proposes file edits and commands (plan.py) from the
check's result; engine.py plans, dry-runs, applies (files through kcrashd.host.writer,
commands on the live root only) and undoes them with the record in the state directory
(record.py); render.py prints it.

May import model, config, host and checks; never daemon, alerts, sinks or cli.
"""
