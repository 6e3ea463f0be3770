"""`kcrashd config check | dump`: every error at once, with file and key."""

from __future__ import annotations

import yaml

from kcrashd import config
from kcrashd.cli import main


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_check_reports_every_error_with_file_and_key(tmp_path, capsys):
    main_file = write(
        tmp_path / "kcrashd.yaml",
        "journal:\n  source: tape\n  report_gap_seconds: soon\nalerts:\n  storm_windw: 3\n",
    )
    write(tmp_path / "conf.d" / "50-local.yaml", "hooks:\n  timeout_seconds: -1\nbogus: 1\n")
    assert main(["--config", str(main_file), "config", "check"]) == 1
    err = capsys.readouterr().err
    assert f"{main_file}: journal.source: must be one of auto, journal, kmsg" in err
    assert f"{main_file}: journal.report_gap_seconds: must be a number" in err
    assert f"{main_file}: alerts.storm_windw: unknown key" in err
    drop = tmp_path / "conf.d" / "50-local.yaml"
    assert f"{drop}: hooks.timeout_seconds: must be at least 0.1" in err
    assert f"{drop}: bogus: unknown key" in err
    assert "5 errors in the configuration" in err


def test_check_ok_names_the_files(tmp_path, capsys):
    main_file = write(tmp_path / "kcrashd.yaml", "alerts:\n  storm_summary_every: 5\n")
    assert main(["--config", str(main_file), "config", "check"]) == 0
    assert str(main_file) in capsys.readouterr().out


def test_dump_prints_the_effective_config_with_drop_ins(tmp_path, capsys):
    main_file = write(tmp_path / "kcrashd.yaml", "alerts:\n  storm_summary_every: 5\n")
    write(tmp_path / "conf.d" / "10.yaml", "alerts:\n  storm_summary_every: 7\n")
    assert main(["--config", str(main_file), "config", "dump"]) == 0
    dumped = yaml.safe_load(capsys.readouterr().out)
    assert dumped["alerts"]["storm_summary_every"] == 7
    assert config.from_dict(dumped).alerts.storm_summary_every == 7


def test_dump_defaults_is_the_shipped_file(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "none.yaml"), "config", "dump", "--defaults"]) == 0
    assert capsys.readouterr().out == config.render_yaml()
