"""Where alerts go: the journal (journald.py, with the "already sent?" lookup), hook
executables (hooks.py), and Prometheus metrics (metrics.py: exposition, textfile, endpoint;
metrics_job.py: the daemon job that collects the families from the state).

May import model, config, alerts.types, host and store; never daemon, pipeline or cli.
"""
