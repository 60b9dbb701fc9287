"""app.yaml as the command line reads it: unknown keys, strict values, one error listing every
problem, environment overrides, test-only keys, and the partnership's own time zone."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE, ROOT, Chat, make_app

from bot.cli import main
from bot.settings import SettingsError, load_settings
from scheduler.policy import NudgeSettings
from scheduler.sections import TEST_HARNESS


def write(tmp_path: Path, settings: dict[str, Any]) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def partnerbot(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def partnerbot_process(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, harness: bool = True
) -> subprocess.CompletedProcess[str]:
    """`python -m bot.cli …` in a process of its own; harness=False: as outside the tests."""
    environ = {**os.environ, **(env or {})}
    if not harness:
        environ.pop(TEST_HARNESS, None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=120,
    )


def test_unknown_keys_are_refused_with_their_path_and_nothing_starts(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    config = write(
        tmp_path,
        {
            "database": {"url": f"sqlite:///{db}"},
            "partnerhsips": [str(EXAMPLE)],
            "web": {"prot": 3000},
            "nudges": {"series": {"board": {"overdue_evry": "2 weeks"}}},
        },
    )
    code, said = partnerbot("--config", str(config), "migrate")
    assert code == 1
    assert f"{config} has 3 problems:" in said
    assert "  - partnerhsips: unknown setting; did you mean partnerships?" in said
    known = "known here: answer_link_days, host, port, public_url"
    assert f"  - web.prot: unknown setting; did you mean port? {known}" in said
    assert "  - nudges.series.board.overdue_evry: unknown setting; did you mean overdue_every?" in said
    assert "Traceback" not in said and not db.exists()  # refused before the database was touched


def test_a_quoted_boolean_is_refused_not_read_as_true(tmp_path: Path) -> None:
    config = write(tmp_path, {"slack": {"enabled": "false"}, "nudges": {"on_due_day": "no"}})
    with pytest.raises(SettingsError) as refused:
        load_settings(config)
    assert refused.value.problems == [
        "nudges.on_due_day: must be true or false, without quotes, not 'no'",
        "slack.enabled: must be true or false, without quotes, not 'false'",
    ]
    config = write(tmp_path, {"slack": {"enabled": False}, "nudges": {"on_due_day": False}})
    settings = load_settings(config)
    assert settings.slack.enabled is False and settings.slack.resolve().enabled is False
    assert settings.nudges.resolve().default.on_due_day is False


def test_a_section_given_as_a_plain_value_is_refused_not_replaced_by_its_defaults(tmp_path: Path) -> None:
    # `database:` may be the URL alone; any other section written as one value is a mistake that
    # must not quietly become that section's defaults.
    db = tmp_path / "elsewhere.sqlite3"
    assert load_settings(write(tmp_path, {"database": f"sqlite:///{db}"})).database_url == f"sqlite:///{db}"
    with pytest.raises(SettingsError) as refused:
        load_settings(write(tmp_path, {"slack": "enabled", "web": 8080}))
    assert refused.value.problems == [
        "slack: expected its settings as a mapping (`slack:` then indented `name: value` lines)",
        "web: expected its settings as a mapping (`web:` then indented `name: value` lines)",
    ]


def test_a_bad_port_is_refused_with_its_path(tmp_path: Path) -> None:
    config = write(tmp_path, {"web": {"port": "3000"}})
    code, said = partnerbot("--config", str(config), "migrate")
    assert code == 1
    assert "web.port: must be a whole number, without quotes, not '3000' (a port number)" in said
    for port, why in (
        (99999, "at most 65535, not 99999"),
        (-1, "at least 0, not -1"),
        (True, "a whole number"),
    ):
        with pytest.raises(SettingsError) as refused:
            load_settings(write(tmp_path, {"web": {"port": port}}))
        assert len(refused.value.problems) == 1 and refused.value.problems[0].startswith("web.port: must be ")
        assert why in refused.value.problems[0]
    settings = load_settings(write(tmp_path, {"web": {"host": "0.0.0.0", "port": 8080}}))
    assert (settings.web.host, settings.web.port) == ("0.0.0.0", 8080)
    defaults = load_settings(write(tmp_path, {})).web
    assert (defaults.host, defaults.port) == ("127.0.0.1", 3000)


def test_the_doors_own_server_keys_are_refused_naming_the_web_key(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        {
            "teams": {"enabled": True, "host": "0.0.0.0", "port": 3978},
            "slack": {
                "http": {"host": "0.0.0.0", "port": 3000, "path": "slack/events"},
                "health": {"port": 3001},
            },
            "web": {"adress": "0.0.0.0"},
        },
    )
    code, said = partnerbot("--config", str(config), "migrate")
    assert code == 1 and "Traceback" not in said
    with pytest.raises(SettingsError) as refused:
        load_settings(config)
    why = "(one web server serves Slack, Teams and GET /health): set it there and remove it here"
    assert refused.value.problems == [
        "teams.host: has moved to web.host " + why,
        "teams.port: has moved to web.port " + why,
        "slack.http.path: is not in the expected form: 'slack/events' (a path such as /slack/events)",
        "slack.http.host: has moved to web.host " + why,
        "slack.http.port: has moved to web.port " + why,
        "slack.health: has moved to web.host and web.port " + why,
        "web.adress: unknown setting; known here: answer_link_days, host, port, public_url",
    ]
    assert f"{config} has 7 problems:" in said


def test_every_problem_is_reported_in_one_error(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        {
            "partnerships": "examples/westshire.yaml",
            "nudges": {"before": ["soonish"], "lease_seconds": 10},
            "email": {"enabled": True, "port": 25, "password": "hunter2"},
            "teams": {"cloud": "Azure", "package": {"website_url": "http://westshire.example"}},
            "graph": {"enabled": True},
        },
    )
    with pytest.raises(SettingsError) as refused:
        load_settings(config)
    assert refused.value.problems == [
        "partnerships: must be a list, e.g. [a, b], not 'examples/westshire.yaml'",
        "nudges.before: cannot read 'soonish'; write e.g. '7 days', '1 working day' or '2 weeks'",
        "nudges.lease_seconds: must be at least 30, not 10 (a send must finish inside its lease)",
        "email.password: no secrets in app.yaml: remove it, put the secret in an environment variable "
        "and name that variable in password_env",
        "teams.cloud: must be 'Public', 'USGov', 'USGovDoD' or 'China', not 'Azure'",
        "teams.package.website_url: must be an https:// address, not 'http://westshire.example'",
        "graph: a tenant id is needed: set GRAPH_TENANT_ID or TEAMS_TENANT_ID",
    ]
    assert str(refused.value).startswith(f"{config} has 7 problems:\n  - partnerships: must be a list")


def test_the_environment_overrides_app_yaml_and_the_command_line_overrides_both(tmp_path: Path) -> None:
    in_file, from_env, from_flag = (tmp_path / f"{n}.sqlite3" for n in ("file", "env", "flag"))
    config = write(tmp_path, {"database": {"url": f"sqlite:///{in_file}"}, "teams": {"app_id": "yaml-app"}})
    env = {"PARTNERBOT_CONFIG": str(config), "PARTNERBOT_DATABASE_URL": f"sqlite:///{from_env}"}
    done = partnerbot_process("migrate", cwd=tmp_path, env=env)  # the file named by PARTNERBOT_CONFIG
    assert done.returncode == 0, done.stderr
    assert from_env.exists() and not in_file.exists()
    done = partnerbot_process("--database", f"sqlite:///{from_flag}", "migrate", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert from_flag.exists() and not in_file.exists()
    # Ids too; secrets only ever come from the environment.
    env = {"TEAMS_APP_ID": "env-app", "TEAMS_TENANT_ID": "env-tenant", "TEAMS_APP_PASSWORD": "s"}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        mp.delenv("GRAPH_TENANT_ID", raising=False)
        mp.delenv("GRAPH_CLIENT_ID", raising=False)
        settings = load_settings(config)
        teams, graph = settings.teams.resolve(), settings.graph.resolve()
    assert (teams.app_id, teams.tenant_id, teams.password) == ("env-app", "env-tenant", "s")
    assert (graph.client_id, graph.tenant_id, graph.secret) == ("env-app", "env-tenant", "s")
    assert settings.database_url == f"sqlite:///{in_file}"  # no override set now: the file's value


def test_secrets_in_app_yaml_are_refused(tmp_path: Path) -> None:
    config = write(tmp_path, {"slack": {"enabled": True, "bot_token": "xoxb-1"}})
    with pytest.raises(SettingsError, match=r"slack\.bot_token: no secrets in app\.yaml: .* environment"):
        load_settings(config)


def test_an_empty_section_means_its_defaults(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    config.write_text("email:\nteams:\nnudges:\nweb:\n", encoding="utf-8")
    settings = load_settings(config)
    assert settings.email.resolve() is None and settings.teams.resolve().endpoint == "/api/messages"
    assert (settings.web.host, settings.web.port) == ("127.0.0.1", 3000)
    assert settings.nudges.resolve() == NudgeSettings()


@pytest.mark.parametrize(
    ("section", "key", "why"),
    [
        ({"nudges": {"fault": {"kill_after_sends": 3}}}, "nudges.fault", "SIGKILLs the process"),
        (
            {"teams": {"allow_unauthenticated": True}},
            "teams.allow_unauthenticated",
            "without a Bot Framework",
        ),
    ],
)
def test_test_only_settings_are_refused_outside_the_test_harness(
    tmp_path: Path, section: dict[str, Any], key: str, why: str
) -> None:
    db = tmp_path / "db.sqlite3"
    config = write(tmp_path, {"database": {"url": f"sqlite:///{db}"}, **section})
    done = partnerbot_process("--config", str(config), "migrate", harness=False)
    assert done.returncode == 1 and f"{key}: is for tests only (" in done.stderr and why in done.stderr
    assert "remove it from app.yaml" in done.stderr and not db.exists()
    done = partnerbot_process("--config", str(config), "migrate")  # the tests' own processes may
    assert done.returncode == 0, done.stderr


def test_the_cli_shows_times_in_the_partnerships_own_time_zone(database_url: str, tmp_path: Path) -> None:
    auckland = tmp_path / "westshire.yaml"
    auckland.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("timezone: Europe/London", "timezone: Pacific/Auckland"),
        encoding="utf-8",
    )
    app = make_app(database_url, auckland)
    chat = Chat(app).at("2024-01-19T10:05:00+00:00")
    chat.say("MT", "meeting start board")
    app.engine.dispose()
    done = partnerbot_process("--database", database_url, "audit", "--series", "board", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # 10:05 in London is 23:05 the same day in Auckland (summer time there, 13 hours ahead).
    assert "2024-01-19 23:05:00 MT via shell: opened meeting 1" in done.stdout, done.stdout
    assert "2024-01-19 10:05:00 MT" not in done.stdout
