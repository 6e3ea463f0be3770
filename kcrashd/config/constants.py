"""Option values that code outside the configuration needs without building the schema
(kcrashd.config.schema): `kcrashd check` on the built-in defaults reads only these."""

DEFAULT_CONFIG_PATH = "/etc/kcrashd/kcrashd.yaml"
DEFAULT_STATE_DIRECTORY = "/var/lib/kcrashd"  # state.directory's default
# checks.severity: the statuses a WARN or CRIT may be reported as
SEVERITY_OVERRIDES = ("OK", "INFO", "WARN", "CRIT", "SKIP")
