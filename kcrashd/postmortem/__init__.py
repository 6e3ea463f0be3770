"""Post-mortem: what an earlier boot left behind, as incidents.

collect.py reads the post-mortem sources (pstore, kdump dumps, the previous boot's journal),
matches evidence to the boot that crashed and files one incident per crashed boot; job.py is
the daemon's start-up job that delivers the alerts incidents owe; view.py and next_steps.py
build what `kcrashd incidents show` prints (the evidence and the next commands to run).

May import model, config, host, parse, sources, store and alerts; never daemon or cli.
"""
