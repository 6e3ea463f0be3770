"""Registries are complete and consistent with what ships."""

import re
from pathlib import Path

from kcrashd import config
from kcrashd.alerts.types import ALERT_TYPES
from kcrashd.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]


def test_alert_message_ids_are_unique_journald_ids():
    ids = [t.message_id for t in ALERT_TYPES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len({t.name for t in ALERT_TYPES}) == len(ALERT_TYPES)


def test_every_message_id_has_a_catalog_entry():
    catalog = (ROOT / "systemd" / "kcrashd.catalog").read_text()
    entries = set(re.findall(r"^-- ([0-9a-f]{32})\s*$", catalog, re.M))
    missing = [t.name for t in ALERT_TYPES if t.message_id not in entries]
    assert not missing, f"no catalog entry for {missing}"
    assert entries <= {t.message_id for t in ALERT_TYPES}, "catalog has entries for no alert"


def test_shipped_config_equals_generated_defaults():
    shipped = (ROOT / "etc" / "kcrashd" / "kcrashd.yaml").read_text()
    assert shipped == config.render_yaml(), (
        "etc/kcrashd/kcrashd.yaml differs from the defaults: regenerate it with "
        "'kcrashd config dump --defaults > etc/kcrashd/kcrashd.yaml'"
    )


def test_every_subcommand_is_registered():
    parser = build_parser()
    for name, _module, _help in COMMANDS:
        assert parser.parse_args([name] if name != "parse" else [name, "-"]).command == name
