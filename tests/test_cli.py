"""The command line: help with examples, one-line errors, the run log."""

from __future__ import annotations

import socket

import click
import pytest
from click.testing import CliRunner

from scraper.cli import cli


def _commands(group: click.Group):
    for name, command in group.commands.items():
        yield name, command
        if isinstance(command, click.Group):
            yield from _commands(command)


@pytest.mark.parametrize("name,command", list(_commands(cli)))
def test_every_command_has_help_with_an_example(name, command):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output, f"`practitioners {name} --help` has no example"


def test_group_help_has_an_example():
    assert "Example:" in CliRunner().invoke(cli, ["--help"]).output


def test_unknown_source_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["scrape", "nccaom-typo", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "unknown source 'nccaom-typo'" in result.output
    assert "Traceback" not in result.output


def test_bad_state_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["scrape", "nppes-api", "--state", "XX",
                                      "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "'XX' is not a US state or territory code" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_site_is_a_failed_run_with_a_one_line_error(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(
        "[http]\nmin_interval = 0\nmax_retries = 1\nbackoff_base = 0.01\nconnect_timeout = 2\n"
        f'[sources.nppes-api]\nbase_url = "http://127.0.0.1:{_free_port()}/api/"\n')
    db = str(tmp_path / "x.db")
    result = CliRunner().invoke(cli, ["--config", str(config), "scrape", "nppes-api",
                                      "--state", "WA", "--db", db])
    assert result.exit_code == 1
    assert "nppes-api: failed" in result.output
    assert "robots.txt could not be fetched" in result.output
    assert "Traceback" not in result.output
    runs = CliRunner().invoke(cli, ["runs", "--db", db, "--json"])
    assert runs.exit_code == 0
    assert '"status": "failed"' in runs.output


def test_bad_config_is_a_one_line_error(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[http]\nmin_interval = 'fast'\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "scrape", "--db",
                                      str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert "http.min_interval = 'fast' is not a valid float" in result.output
    missing = CliRunner().invoke(cli, ["--config", str(tmp_path / "nope.toml"), "runs"])
    assert "configuration file not found" in missing.output


def test_runs_without_a_database(tmp_path):
    result = CliRunner().invoke(cli, ["runs", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no database at" in result.output
    assert "Traceback" not in result.output


def test_sources_lists_nppes():
    result = CliRunner().invoke(cli, ["sources"])
    assert "nppes-api" in result.output and "npiregistry.cms.hhs.gov" in result.output


@pytest.mark.parametrize("command", [["runs"], ["link"]])
def test_a_file_that_is_not_a_database_is_a_one_line_error(tmp_path, command):
    bad = tmp_path / "notes.db"
    bad.write_text("these are my notes, not a database\n" * 200)
    result = CliRunner().invoke(cli, [*command, "--db", str(bad)])
    assert result.exit_code == 1
    assert "file is not a database" in result.output
    assert "Traceback" not in result.output


def test_a_database_in_a_missing_folder_is_a_one_line_error(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[http]\nallowed_hosts = ["127.0.0.1"]\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "scrape", "nppes-api", "--db",
                                      str(tmp_path / "no" / "such" / "dir" / "x.db")])
    assert result.exit_code == 1
    assert "unable to open database file" in result.output
    assert "Traceback" not in result.output
