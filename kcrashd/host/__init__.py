"""The only code that reads host files or runs commands (and writes the few host files
kcrashd writes: the pmsg breadcrumb, the metrics textfile, stored pstore records removed).

root.py maps a host path to where it is read (the live host, or a fixture or image tree);
runner.py runs commands (argv only, always a timeout, LC_ALL=C) or replays recorded
outputs; kernel_log.py is the running system's journal and /dev/kmsg; local.py is
kcrashd's own files named by its config (hooks.d, the textfile directory); every other
module pairs a reader with a pure parser for one kernel file family.
tests/unit/test_host_boundary.py keeps this the only place.

May import model only.
"""
