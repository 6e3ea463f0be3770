"""The built-in defaults read without PyYAML (kcrashd.config.load_unless_default): the shipped
file is known by its digest, and what it stands for is what loading it gives."""

from __future__ import annotations

import hashlib

import pytest

from kcrashd import config
from kcrashd.config import constants
from kcrashd.config.load import SHIPPED_SHA256
from tests.conftest import PROJECT

SHIPPED = PROJECT / "etc" / "kcrashd" / "kcrashd.yaml"


def test_shipped_digest_names_the_shipped_file_and_the_generated_defaults():
    hint = "etc/kcrashd/kcrashd.yaml changed: set SHIPPED_SHA256 in kcrashd/config/load.py to"
    digest = hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert digest == SHIPPED_SHA256, f"{hint} {digest}"
    assert hashlib.sha256(config.render_yaml().encode()).hexdigest() == SHIPPED_SHA256


def test_the_shipped_file_loaded_is_the_defaults():
    assert config.load(str(SHIPPED)) == config.Config()


def test_constants_are_the_schemas_defaults():
    defaults = config.Config()
    assert defaults.state.directory == constants.DEFAULT_STATE_DIRECTORY
    assert config.DEFAULT_CONFIG_PATH == constants.DEFAULT_CONFIG_PATH


@pytest.mark.parametrize("text", ["", None])  # empty; the shipped file
def test_defaults_as_written_are_not_loaded(tmp_path, text):
    path = tmp_path / "kcrashd.yaml"
    path.write_text(SHIPPED.read_text() if text is None else text)
    assert config.load_unless_default(str(path)) is None
    assert config.load_unless_default("/dev/null") is None


def test_anything_else_is_loaded_and_judged(tmp_path):
    path = tmp_path / "kcrashd.yaml"
    shipped = SHIPPED.read_text()
    path.write_text(shipped.replace("retention_days: 180.0", "retention_days: 7"))
    assert config.load_unless_default(str(path)).state.retention_days == 7
    path.write_text(shipped + "\n# a comment the admin added\n")
    assert config.load_unless_default(str(path)) == config.Config()
    path.write_text(shipped.replace("retention_days: 180.0", "retention_days: -1"))
    with pytest.raises(config.ConfigError, match="retention_days"):
        config.load_unless_default(str(path))
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.load_unless_default(str(tmp_path / "missing.yaml"))


def test_a_drop_in_beside_the_shipped_file_is_loaded(tmp_path):
    path = tmp_path / "kcrashd.yaml"
    path.write_text(SHIPPED.read_text())
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "10-x.yaml").write_text("state:\n  retention_days: 9\n")
    assert config.load_unless_default(str(path)).state.retention_days == 9
