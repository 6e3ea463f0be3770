"""Resource watchers: the warning signs before a crash.

One watcher per module: sample(root, ...) reads through host/, evaluate(sample, cfg) judges
(pure); registry.py lists them; levels.py tracks levels over samples (for N, hysteresis);
job.py runs them as daemon jobs.

May import model, config, host and store; never daemon, alerts.pipeline or cli.
"""
