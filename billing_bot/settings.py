"""Settings, read once at start-up from the environment and a ``.env`` file.

Variable names carry no prefix (``DATABASE_URL``, ``PORT``, ...) so operators and scripts can
rely on them; later issues add variables, none is renamed. The process environment wins over
``.env``; a key in ``.env`` that is not a setting is refused, because a misspelt name would
otherwise be silently ignored.
"""

from __future__ import annotations

import difflib
import ipaddress
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.engine import (
    UnsupportedDatabaseUrl,
    normalize_database_url,
    redact_url,
)

__all__ = [
    "AreaReport",
    "Settings",
    "SettingsError",
    "SmtpServer",
    "config_report",
    "load_settings",
    "normalize_database_url",
]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

_UNSET: Any = object()


class SettingsError(ValueError):
    """One or more settings are missing or malformed; `str()` is one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand over e-mail, parsed from ``SMTP_URL``."""

    host: str
    port: int
    username: str | None
    password: SecretStr | None
    security: Literal["ssl", "starttls", "none"]


class Settings(BaseSettings):
    """Every setting of the app; field ``database_url`` is read from ``DATABASE_URL`` and so on.

    Build it with `load_settings`, which turns validation errors into a `SettingsError`.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        case_sensitive=False,
        # "SLACK_BOT_TOKEN=" in .env.example means "not set", not "set to the empty string".
        env_ignore_empty=True,
    )

    database_url: str = "sqlite:///var/billing-bot.sqlite3"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Empty means "derive from HOST and PORT", which is right for a laptop; behind a proxy or
    # tunnel the operator sets the address Slack, Stripe and clients actually reach.
    public_base_url: str = ""

    slack_signing_secret: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # App-level token (xapp-...) for `billing-bot socket`, Socket Mode in development.
    slack_app_token: SecretStr | None = None

    # The vendor's own Slack workspace (T…): its support desk answers every practice's Help
    # channel questions, and its billing admins are the operators who choose the desk.
    support_team_id: str | None = None
    # How often questions waiting for support are checked against the desk's escalation
    # time: a question is escalated at most this long after its time ran out.
    escalation_check_seconds: float = Field(default=60.0, ge=1, le=3600)

    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str = "https://api.stripe.com"
    # How long one request to Stripe may wait for its answer; the SDK then tries it again (3
    # times, with the same idempotency key) before the client is told to try in a minute.
    stripe_timeout_seconds: float = Field(default=20.0, gt=0, le=120)

    smtp_url: SecretStr | None = None
    mail_from: str | None = None
    # Without SMTP_URL, e-mail is written here as .eml files (relative: to the working
    # directory, like the SQLite file).
    mail_dir: str = "var/mail"
    # The outbox's pause before retrying a failed delivery, doubled at each further failure
    # up to an hour. 30 s rides out a blip without hammering a mail server that is down.
    outbox_retry_seconds: float = Field(default=30.0, gt=0, le=3600)

    log_level: LogLevel = "INFO"

    # TESTS AND SANDBOX ONLY: a file holding a number of seconds by which the app's clock
    # runs ahead of the real time (see gateways.system.ShiftedClock). Never set in
    # production: reminders and Slack's signature checks follow this clock.
    test_clock_file: str | None = None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            return normalize_database_url(value)
        except UnsupportedDatabaseUrl as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if not value or (any(c in value for c in "/: ") and not _is_ip(value)):
            raise ValueError("not a host name or IP address")
        return value

    @field_validator("public_base_url", "stripe_api_base")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _http_url(value).rstrip("/") if value else value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        # slack_sdk joins method names onto this base, so it must end with a slash.
        return _http_url(value).rstrip("/") + "/"

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _slack_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # Slack's token kinds differ by prefix; a user token or the signing secret pasted here
        # would otherwise fail only at the first Slack call.
        prefix = _SLACK_TOKEN_PREFIXES[info.field_name or ""]
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(f"does not start with {prefix}")
        return value

    @field_validator("support_team_id")
    @classmethod
    def _support_team_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not (value.startswith(("T", "E")) and value.isalnum() and 2 < len(value) <= 32):
            raise ValueError("not a Slack workspace id")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            _parse_smtp_url(value.get_secret_value())
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _name, address = parseaddr(value)
        local, _, domain = address.partition("@")
        if not local or "." not in domain:
            raise ValueError("not an e-mail address")
        return value.strip()

    @field_validator("mail_dir")
    @classmethod
    def _mail_dir(cls, value: str) -> str:
        if not value.strip() or "\0" in value:
            raise ValueError("not a folder path")
        return value.strip()

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _derive_public_base_url(self) -> Settings:
        if not self.public_base_url:
            self.public_base_url = f"http://{_reachable_host(self.host)}:{self.port}"
        return self

    def smtp_server(self) -> SmtpServer | None:
        """Return the parsed ``SMTP_URL``, or None when mail goes to the local file outbox."""
        if self.smtp_url is None:
            return None
        return _parse_smtp_url(self.smtp_url.get_secret_value())

    def redacted_database_url(self) -> str:
        """``DATABASE_URL`` with any password replaced by ``***``, for output and logs."""
        return redact_url(self.database_url)


def load_settings(*, env_file: str | Path | None = _UNSET, **overrides: Any) -> Settings:
    """Read the settings, with `overrides` (field names, e.g. ``port=9000``) taking precedence.

    Overrides that are None are dropped, so optional command-line flags can be passed
    straight through. `env_file` replaces ``.env`` in the working directory (None: no file).
    Raises `SettingsError` naming each bad variable and what to fix.
    """
    given = {name: value for name, value in overrides.items() if value is not None}
    unknown = sorted(set(given) - set(Settings.model_fields))
    if unknown:
        raise TypeError(f"load_settings() got unknown settings: {', '.join(unknown)}")
    try:
        if env_file is _UNSET:
            return Settings(**given)
        # pydantic-settings accepts _env_file at run time; its typed __init__ lists fields only.
        return Settings(_env_file=env_file, **given)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None


_SLACK_TOKEN_PREFIXES = {"slack_bot_token": "xoxb-", "slack_app_token": "xapp-"}

# What to write instead, per variable; the value is echoed only for variables that hold no
# secret, and URLs are echoed with their password hidden.
_HINTS: dict[str, str] = {
    "database_url": "must be sqlite:///path/to/file.sqlite3 or postgresql://user@host:5432/name",
    "host": "must be a host name or IP address to listen on, such as 127.0.0.1 or 0.0.0.0",
    "port": "must be a whole number from 1 to 65535",
    "public_base_url": "must be an http:// or https:// URL, such as https://billing.example.com",
    "slack_api_url": "must be an http:// or https:// URL, such as https://slack.com/api/",
    "slack_bot_token": "must be the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
    "slack_app_token": (
        "must be an app-level token (xapp-…) from Basic Information → App-Level Tokens"
    ),
    "support_team_id": (
        "must be the Slack workspace id (T…) of the vendor's support workspace, as Slack shows "
        "it in the workspace's URL or About page"
    ),
    "stripe_api_base": "must be an http:// or https:// URL, such as https://api.stripe.com",
    "smtp_url": "must look like smtp://user:password@host:587?starttls=true or smtps://host:465",
    "mail_from": "must be an e-mail address, such as Practice <billing@example.com>",
    "mail_dir": "must be a folder path, such as var/mail",
    "log_level": "must be one of DEBUG, INFO, WARNING, ERROR",
}
_SECRET_FIELDS = {
    "slack_signing_secret",
    "slack_client_secret",
    "slack_bot_token",
    "slack_app_token",
    "stripe_secret_key",
    "stripe_webhook_secret",
    "smtp_url",
}
_URL_FIELDS = {"database_url"}


def _explain(error: ValidationError) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for item in error.errors():
        # A model-level error (empty loc) cannot name a variable; pydantic never raises one here.
        field = str(item["loc"][0]) if item["loc"] else "settings"
        if field in seen:
            continue
        seen.add(field)
        variable = field.upper()
        if item["type"] == "extra_forbidden":
            problems.append(f"{variable}: {_unknown_variable_hint(field)}")
            continue
        hint = _HINTS.get(field) or item["msg"]
        detail = _detail(item)
        if detail and detail not in hint:
            hint = f"{hint} ({detail})"
        problems.append(f"{variable}: {hint}{_shown_input(field, item.get('input'))}")
    return problems


def _unknown_variable_hint(field: str) -> str:
    close = difflib.get_close_matches(field, Settings.model_fields, n=1)
    suggestion = f"; did you mean {close[0].upper()}?" if close else ""
    return f"is not a setting of billing-bot; remove it from .env{suggestion}"


def _detail(item: Any) -> str:
    # Our validators' own messages say more than the generic hint (e.g. which driver is wrong).
    if item["type"] == "value_error":
        return str(item["msg"]).removeprefix("Value error, ")
    return ""


def _shown_input(field: str, value: object) -> str:
    if field in _SECRET_FIELDS or not isinstance(value, str | int):
        return ""
    text = str(value)
    if field in _URL_FIELDS:
        try:
            text = redact_url(text)
        except Exception:  # not parseable as a URL at all: it may still contain a password
            return ""
    return f", got {text!r}"


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def _reachable_host(host: str) -> str:
    # A server listening on every interface is reached locally through the loopback address.
    if host in ("0.0.0.0", ""):  # noqa: S104 - comparing, not binding
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def _http_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http:// or https:// URL")
    return value


def _parse_smtp_url(url: str) -> SmtpServer:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("scheme must be smtp:// or smtps:// followed by a host")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("port must be a number from 1 to 65535") from exc
    query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "false")
    if starttls not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError("starttls must be true or false")
    security: Literal["ssl", "starttls", "none"]
    if parts.scheme == "smtps":
        security = "ssl"
    elif starttls in ("true", "1", "yes"):
        security = "starttls"
    else:
        security = "none"
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if security == "ssl" else 587 if security == "starttls" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=SecretStr(unquote(parts.password)) if parts.password else None,
        security=security,
    )


@dataclass(frozen=True)
class AreaReport:
    """Which settings one area (Slack, Stripe, e-mail) still needs; names only, never values."""

    area: str
    missing: list[str]
    notes: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing


def config_report(settings: Settings) -> list[AreaReport]:
    """Report per area which settings are missing, without any setting's value.

    Slack needs the signing secret plus either a bot token (one workspace) or the OAuth client
    id and secret (installable in many); Stripe needs its secret key and webhook secret;
    e-mail needs a sender address, and without ``SMTP_URL`` mail goes to a local file outbox.
    """
    slack: list[str] = []
    if settings.slack_signing_secret is None:
        slack.append("SLACK_SIGNING_SECRET")
    has_oauth = settings.slack_client_id is not None or settings.slack_client_secret is not None
    if settings.slack_bot_token is None and not has_oauth:
        slack.append("SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)")
    elif has_oauth:
        if settings.slack_client_id is None:
            slack.append("SLACK_CLIENT_ID")
        if settings.slack_client_secret is None:
            slack.append("SLACK_CLIENT_SECRET")
    slack_notes = []
    if settings.slack_client_id is not None and settings.slack_client_secret is not None:
        slack_notes.append("OAuth install mode (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)")
        if settings.slack_bot_token is not None:
            slack_notes.append("SLACK_BOT_TOKEN is ignored while OAuth is configured")
    elif settings.slack_bot_token is not None:
        slack_notes.append("single-workspace mode (SLACK_BOT_TOKEN)")
    if settings.slack_app_token is None:
        slack_notes.append("SLACK_APP_TOKEN not set: `billing-bot socket` is unavailable")

    stripe = [
        name
        for name, value in (
            ("STRIPE_SECRET_KEY", settings.stripe_secret_key),
            ("STRIPE_WEBHOOK_SECRET", settings.stripe_webhook_secret),
        )
        if value is None
    ]

    mail = [] if settings.mail_from else ["MAIL_FROM"]
    mail_notes = []
    server = settings.smtp_server()
    if server is None:
        mail_notes.append(
            f"SMTP_URL not set: mail is written to the local file outbox {settings.mail_dir}"
        )
    else:
        mail_notes.append(f"SMTP server {server.host}:{server.port} ({server.security})")

    return [
        AreaReport("Slack", slack, slack_notes),
        AreaReport("Stripe", stripe, []),
        AreaReport("E-mail", mail, mail_notes),
    ]
