"""Settings: names operators rely on, defaults for a laptop, one clear line per bad variable."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from billing_bot.settings import (
    SettingsError,
    config_report,
    load_settings,
    normalize_database_url,
)
from helpers import SETTINGS_VARIABLES


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting from the developer's shell or .env leaks in; `tmp_path` is the working dir."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems_for(**environment: str) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        with pytest.raises(SettingsError) as raised:
            load_settings()
    return raised.value.problems


def test_defaults_serve_locally_from_an_embedded_database() -> None:
    settings = load_settings()

    assert settings.database_url == "sqlite:///var/billing-bot.sqlite3"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.stripe_api_base == "https://api.stripe.com"
    assert settings.log_level == "INFO"
    assert settings.smtp_server() is None


def test_loading_settings_creates_no_file_or_directory(clean_environment: Path) -> None:
    load_settings()

    assert list(clean_environment.iterdir()) == []


def test_public_base_url_follows_host_and_port_until_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9000")
    assert load_settings().public_base_url == "http://127.0.0.1:9000"
    assert load_settings(port=9100).public_base_url == "http://127.0.0.1:9100"

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://billing.example.com/")

    assert load_settings().public_base_url == "https://billing.example.com"


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "80.5"])
def test_bad_port_is_one_line_naming_port(value: str) -> None:
    problems = problems_for(PORT=value)

    assert problems == [f"PORT: must be a whole number from 1 to 65535, got '{value}'"]


def test_bad_log_level_is_one_line_naming_log_level() -> None:
    problems = problems_for(LOG_LEVEL="verbose")

    assert problems == ["LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, got 'VERBOSE'"]


def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")

    assert load_settings().log_level == "DEBUG"


def test_unknown_key_in_env_file_is_refused_with_a_suggestion(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text("PORT=9000\nSLACK_SIGING_SECRET=abc123\n")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert raised.value.problems == [
        "SLACK_SIGING_SECRET: is not a setting of billing-bot; remove it from .env; "
        "did you mean SLACK_SIGNING_SECRET?"
    ]
    assert "abc123" not in str(raised.value)


def test_unrelated_environment_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGING_SECRET", "typo-in-the-shell")

    assert load_settings().slack_signing_secret is None


def test_environment_wins_over_env_file(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_environment / ".env").write_text("PORT=9000\nMAIL_FROM=billing@example.com\n")
    monkeypatch.setenv("PORT", "9100")

    settings = load_settings()

    assert (settings.port, settings.mail_from) == (9100, "billing@example.com")


def test_empty_value_in_env_file_means_not_set(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text("SLACK_BOT_TOKEN=\nPORT=\n")

    settings = load_settings()

    assert (settings.slack_bot_token, settings.port) == (None, 8000)


def test_each_bad_variable_gets_its_own_line() -> None:
    problems = problems_for(PORT="abc", LOG_LEVEL="loud", PUBLIC_BASE_URL="billing.example.com")

    assert [problem.split(":")[0] for problem in problems] == [
        "PORT",
        "PUBLIC_BASE_URL",
        "LOG_LEVEL",
    ]


@pytest.mark.parametrize(
    ("variable", "pasted", "expected"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-1-2-3-user-token", "must be the Bot User OAuth Token (xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-1-2-bot-token", "must be an app-level token (xapp-"),
    ],
)
def test_a_slack_token_of_the_wrong_kind_is_named_without_showing_it(
    variable: str, pasted: str, expected: str
) -> None:
    problems = problems_for(**{variable: pasted})

    assert len(problems) == 1
    assert problems[0].startswith(f"{variable}: {expected}")
    assert pasted not in problems[0]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/billing", "postgresql+psycopg://u:p@db:5432/billing"),
        ("postgresql://u@db/billing", "postgresql+psycopg://u@db/billing"),
        ("postgresql+psycopg://u@db/billing", "postgresql+psycopg://u@db/billing"),
        ("sqlite:///var/billing-bot.sqlite3", "sqlite:///var/billing-bot.sqlite3"),
    ],
)
def test_postgres_urls_use_psycopg_3(
    given: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)

    assert normalize_database_url(given) == expected
    assert load_settings().database_url == expected


def test_unsupported_database_is_refused_without_showing_its_password() -> None:
    problems = problems_for(DATABASE_URL="mysql://admin:hunter2@db/billing")

    assert len(problems) == 1
    assert problems[0].startswith("DATABASE_URL: must be sqlite:///")
    assert "mysql" in problems[0]
    assert "hunter2" not in problems[0]


def test_bad_smtp_url_is_refused_without_showing_it() -> None:
    problems = problems_for(SMTP_URL="http://mailer:hunter2@mail.example.com")

    assert len(problems) == 1
    assert problems[0].startswith("SMTP_URL: must look like smtp://")
    assert "hunter2" not in problems[0]


def test_smtp_url_gives_server_credentials_and_security(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_URL", "smtp://mailer:p%40ss@mail.example.com:2525?starttls=true")

    server = load_settings().smtp_server()

    assert server is not None
    assert (server.host, server.port, server.username) == ("mail.example.com", 2525, "mailer")
    assert server.password is not None and server.password.get_secret_value() == "p@ss"
    assert server.security == "starttls"


def test_secrets_do_not_appear_when_settings_are_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_hunter2")
    monkeypatch.setenv("SMTP_URL", "smtp://mailer:hunter3@mail.example.com")

    settings = load_settings()

    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)
    assert "hunter3" not in repr(settings)


def test_overrides_win_and_unset_flags_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST", "0.0.0.0")

    settings = load_settings(host=None, port=9001)

    assert (settings.host, settings.port) == ("0.0.0.0", 9001)


def test_config_report_names_what_each_area_still_needs() -> None:
    reports = {report.area: report for report in config_report(load_settings())}

    assert reports["Slack"].missing == [
        "SLACK_SIGNING_SECRET",
        "SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)",
    ]
    assert reports["Stripe"].missing == ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]
    assert reports["E-mail"].missing == ["MAIL_FROM"]


def test_config_report_accepts_either_slack_mode() -> None:
    single = load_settings(slack_signing_secret="s", slack_bot_token="xoxb-1")
    half_oauth = load_settings(slack_signing_secret="s", slack_client_id="123.456")

    assert config_report(single)[0].complete
    assert config_report(half_oauth)[0].missing == ["SLACK_CLIENT_SECRET"]


def test_config_report_never_contains_a_secret_value() -> None:
    settings = load_settings(
        slack_signing_secret="hunter-signing",
        slack_client_id="123.456",
        slack_client_secret="hunter-client",
        stripe_secret_key="sk_test_hunter",
        smtp_url="smtp://mailer:hunter-mail@mail.example.com:587?starttls=true",
        mail_from="billing@example.com",
    )

    text = repr(config_report(settings))

    assert "hunter" not in text
    assert "STRIPE_WEBHOOK_SECRET" in text


def test_env_example_documents_every_setting_and_is_a_valid_env_file() -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    lines = example.read_text().splitlines()

    keys = [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]
    undocumented = [
        line.split("=", 1)[0]
        for previous, line in pairwise(lines)
        if line and not line.startswith("#") and not previous.startswith("#")
    ]

    assert sorted(keys) == sorted(SETTINGS_VARIABLES)
    assert undocumented == []
    assert load_settings(env_file=example).port == 8000
