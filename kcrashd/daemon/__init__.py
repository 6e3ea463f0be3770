"""`kcrashd run`: the daemon's wiring.

Owns the main loop (loop.py: follow the kernel log, feed the parser, hand reports to the
alert pipeline, commit positions, write the status document), the job thread and the job
registry (jobs.py, context.py), and the systemd notify protocol (notify.py).
May import every other package; nothing but the CLI imports it.
"""
