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


# -- read-only commands never make a database; every option says what it is for --------------

MAKES_THE_DATABASE = {"scrape", "run-due"}  # the commands that write, and make it if need be


def _options(command: click.Command, path: tuple[str, ...] = ("practitioners",)):
    ctx = click.Context(command, info_name=path[-1])
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            yield " ".join(path), param
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _options(sub, (*path, name))


def test_every_option_of_every_command_has_help():
    options = list(_options(cli))
    assert len(options) > 20
    missing = [f"{where} {'/'.join(o.opts)}" for where, o in options
               if not (o.help or "").strip()]
    assert not missing, f"options without help: {missing}"


def _db_commands() -> list[str]:
    return [name for name, command in _commands(cli)
            if any(p.name == "db_path" for p in command.params)]


def test_the_read_only_commands_are_known():
    assert set(_db_commands()) - MAKES_THE_DATABASE == {
        "schedule", "link", "coverage", "runs", "serve"}


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """A working directory with no configuration and no database, nothing set in the
    environment."""
    for name in ("PRACTITIONERS_DB", "PRACTITIONERS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", sorted(set(_db_commands()) - MAKES_THE_DATABASE))
def test_a_read_only_command_never_makes_the_default_database(nowhere, command):
    result = CliRunner().invoke(cli, [command])
    assert result.exit_code == 1
    assert list(nowhere.iterdir()) == []  # no practitioners.db, no -wal, no lock
    message = result.output.strip()
    assert message.count("\n") == 0 and "Traceback" not in message
    assert message.startswith("Error: no database at practitioners.db (the default database: "
                              "no --db given")
    assert "`practitioners scrape --db practitioners.db`" in message
    assert "demo.db" in message  # the database the user may have meant


@pytest.mark.parametrize("command", sorted(set(_db_commands()) - MAKES_THE_DATABASE))
def test_a_read_only_command_names_the_database_given(nowhere, command):
    missing = nowhere / "sub" / "my.db"
    result = CliRunner().invoke(cli, [command, "--db", str(missing)])
    assert result.exit_code == 1
    assert f"no database at {missing} (given with --db)" in result.output
    assert f"`practitioners scrape --db {missing}`" in result.output
    assert not missing.parent.exists()


def test_the_database_named_by_the_environment_or_the_configuration(nowhere, monkeypatch):
    config = nowhere / "site.toml"
    config.write_text('db = "configured.db"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "schedule"])
    assert result.exit_code == 1
    assert f"no database at configured.db (the db of the configuration file {config})" in (
        result.output)
    # the advice scrapes with the same configuration
    assert f"`practitioners --config {config} scrape --db configured.db`" in result.output
    monkeypatch.setenv("PRACTITIONERS_DB", "from-env.db")
    result = CliRunner().invoke(cli, ["runs"])
    assert "no database at from-env.db (from $PRACTITIONERS_DB)" in result.output
    assert sorted(p.name for p in nowhere.iterdir()) == ["site.toml"]


def test_schedule_then_runs_without_a_database(nowhere):
    """The paper cut: `schedule` made an empty practitioners.db, and `runs` then found it."""
    assert CliRunner().invoke(cli, ["schedule"]).exit_code == 1
    runs = CliRunner().invoke(cli, ["runs"])
    assert runs.exit_code == 1 and "no database at practitioners.db" in runs.output


def test_schedule_and_runs_of_a_database_with_no_runs(tmp_path):
    from db.migrations import open_db

    path = tmp_path / "fresh.db"
    open_db(path).close()
    shown = CliRunner().invoke(cli, ["schedule", "--db", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "never run" in shown.output
    runs = CliRunner().invoke(cli, ["runs", "--db", str(path)])
    assert runs.exit_code == 0
    assert runs.output.startswith(f"No runs recorded in {path} yet.")
    assert CliRunner().invoke(cli, ["runs", "--db", str(path), "--json"]).output.strip() == "[]"


def test_runs_of_a_database_that_is_not_ours(tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table notes (text)")
    result = CliRunner().invoke(cli, ["runs", "--db", str(path)])
    assert result.exit_code == 1 and f"{path} has no run log" in result.output


def test_serve_brings_the_database_up_to_date_first(tmp_path, capsys):
    """Its pages read what the migrations make (near_zip the places of m026): a database
    scraped by an older version is migrated before it is served."""
    from db.migrations import migrations, open_db
    from scraper.cli import _bring_up_to_date

    path = tmp_path / "old.db"
    db = open_db(path)
    db.execute("drop table practitioner_search_places")
    db.execute("delete from _sqlite_migrations where name = 'm026_search_places'")
    db.conn.commit()
    assert [m.name for m in migrations.pending(db)] == ["m026_search_places"]
    db.close()
    _bring_up_to_date(str(path))
    assert "1 migrations: m026_search_places" in capsys.readouterr().err
    db = open_db(path)
    assert db["practitioner_search_places"].exists() and not migrations.pending(db)
    db.close()
    _bring_up_to_date(str(path))  # up to date: nothing said
    assert capsys.readouterr().err == ""
