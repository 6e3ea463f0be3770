"""Where alerts go: the journal (journald.py, with the "already sent?" lookup), hook
executables (hooks.py), Prometheus metrics (metrics.py: exposition, textfile, endpoint;
metrics_job.py: the daemon job that collects the families from the state), and one-line
breadcrumbs to pstore's pmsg device (breadcrumbs.py).

May import model, config, alerts.types, host and store; never daemon, pipeline or cli.
"""
