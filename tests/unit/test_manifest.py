"""app_manifest.yml is a valid Slack manifest and declares exactly what the code uses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from bot import hub
from bot.app import FEATURES
from bot.edge.auth import BOT_SCOPES
from sandbox.console.demo import APP_EVENTS

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT.parent / "shared" / "reference" / "slack-manifest-schema"
REMOTE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "app_manifest.yml").read_text())


class RecordingApp:
    """Stands in for slack_bolt.App to learn what each feature registers."""

    installation_store = None

    def __init__(self) -> None:
        self.registered: dict[str, set[str]] = {
            "command": set(),
            "event": set(),
            "action": set(),
            "view": set(),
            "options": set(),
        }

    def _recorder(self, kind: str) -> Callable[[str], Callable[[Any], Any]]:
        def register(key: str) -> Callable[[Any], Any]:
            self.registered[kind].add(key)
            return lambda listener: listener

        return register

    def use(self, middleware: Callable[..., Any]) -> None:
        """A global middleware sees every request; it adds no listener."""

    def __getattr__(self, name: str) -> Any:
        if name in ("command", "event", "action", "view", "options"):
            return self._recorder(name)
        raise AttributeError(name)


@pytest.fixture(scope="module")
def registered() -> dict[str, set[str]]:
    app = RecordingApp()
    for register in FEATURES:
        register(app, None)  # type: ignore[arg-type]  # registering reads no dependency
    return app.registered


def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMAS.is_dir():
        pytest.fail(f"Slack's manifest schema is expected at {SCHEMAS}")
    registry: Registry = Registry()
    for name in ("manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json"):
        contents = json.loads((SCHEMAS / name).read_text())
        registry = registry.with_resource(REMOTE + name, Resource.from_contents(contents))
    top = json.loads((SCHEMAS / "manifest.schema.json").read_text())

    errors = sorted(
        Draft7Validator(top, registry=registry).iter_errors(manifest), key=lambda e: e.path
    )

    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_schema_check_catches_a_broken_manifest(manifest: dict[str, Any]) -> None:
    registry: Registry = Registry()
    contents = json.loads((SCHEMAS / "manifest.schema.1.0.0.json").read_text())
    registry = registry.with_resource(
        REMOTE + "manifest.schema.1.0.0.json", Resource.from_contents(contents)
    )
    broken = {**manifest, "features": {**manifest["features"], "slash_commands": [{"x": 1}]}}

    validator = Draft7Validator(contents, registry=registry)

    assert not validator.is_valid(broken)


def test_manifest_declares_exactly_the_commands_the_code_handles(manifest, registered) -> None:
    declared = {entry["command"] for entry in manifest["features"]["slash_commands"]}

    assert declared == registered["command"]


def test_manifest_subscribes_to_exactly_the_events_the_code_handles(manifest, registered) -> None:
    # message.im and message.channels both arrive as events of type "message".
    subscribed = {
        name.split(".")[0] for name in manifest["settings"]["event_subscriptions"]["bot_events"]
    }

    assert subscribed == registered["event"]


def test_the_help_channel_hears_direct_messages_and_the_channels_it_is_in(manifest) -> None:
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])

    assert {"message.im", "message.channels", "app_mention", "reaction_added"} <= events
    # Slack delivers each of those events only with its scope.
    assert {"im:history", "channels:history", "app_mentions:read", "reactions:read"} <= scopes


def test_manifest_asks_for_exactly_the_scopes_the_install_requests(manifest) -> None:
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_every_button_of_the_settings_hub_has_a_listener(registered) -> None:
    view = hub.hub_modal("Calm Minds").to_dict()
    buttons = {block["accessory"]["action_id"] for block in view["blocks"] if "accessory" in block}

    assert buttons <= registered["action"]


def test_interactivity_and_events_point_at_the_one_slack_endpoint(manifest) -> None:
    urls = {entry["url"] for entry in manifest["features"]["slash_commands"]}
    urls.add(manifest["settings"]["event_subscriptions"]["request_url"])
    urls.add(manifest["settings"]["interactivity"]["request_url"])
    urls.add(manifest["settings"]["interactivity"]["message_menu_options_url"])

    assert {url.split("://", 1)[1].split("/", 1)[1] for url in urls} == {"slack/events"}


def test_manifest_has_an_options_url_since_the_code_answers_menus_that_search(
    manifest, registered
) -> None:
    """Slack asks a select menu's options from the options load URL; without it, the client
    search of `/appointment` in a practice of over 100 clients would never list anyone."""
    assert registered["options"]
    assert manifest["settings"]["interactivity"].get("message_menu_options_url")


def test_the_consoles_stand_in_sends_the_events_the_manifest_subscribes_to(manifest) -> None:
    assert set(APP_EVENTS) == set(manifest["settings"]["event_subscriptions"]["bot_events"])
