"""Many hosts: kcrashd's alerts read back from a journal that holds several machines
(`/var/log/journal/remote`, filled by systemd-journal-upload and systemd-journal-remote), or
from one host's own journal.

entries.py reads the alert entries that kcrashd itself wrote (root, the kcrashd program,
the native journal protocol), one at a time; view.py folds them into the fleet view:
crashes grouped by signature across hosts and boots, which hosts are not ready on which
check, and crashes that came with a kernel change. window.py reads `--since`. Nothing here
holds every alert: memory grows with signatures, hosts and checks, not with alerts.

May import model, alerts.types, sinks.journald (the field names it writes) and
sources.journal (opening a journal); never daemon, store or cli.
"""
