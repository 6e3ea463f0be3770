"""Where kernel messages come from, as KernelRecords or texts.

Live: the journal (journal.py, `_TRANSPORT=kernel` entries only) and /dev/kmsg (kmsg.py).
After a crash: pstore records (pstore.py), kdump dump directories (kdump.py) and the
previous boot's journal (previous_boot.py).

May import model and host; never parse, alerts, store, daemon or cli.
"""
