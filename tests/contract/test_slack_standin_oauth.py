"""OAuth v2 install: the authorize redirect, the ``oauth.v2.access`` exchange, and Bolt's own
OAuth flow installing into two workspaces through the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_scenario import SIGNING_SECRET, LateApp, serving
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore

from sandbox.slack import SlackStandIn, User, Workspace

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "contract-client-secret"
REDIRECT_URI = "https://billing.example/slack/oauth_redirect"
SCOPES = ["chat:write", "commands", "users:read"]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(
        signing_secret=SIGNING_SECRET, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as standin:
        yield standin


@pytest.fixture
def clinic(slack: SlackStandIn) -> tuple[Workspace, User]:
    workspace = slack.create_workspace("Sunrise Therapy")
    return workspace, slack.create_user(workspace, "ada", is_admin=True)


def _authorize(
    slack: SlackStandIn, client_id: str = CLIENT_ID, user_scopes: tuple[str, ...] = ()
) -> dict[str, str]:
    url = AuthorizeUrlGenerator(
        client_id=client_id,
        scopes=SCOPES,
        user_scopes=list(user_scopes),
        redirect_uri=REDIRECT_URI,
        authorization_url=slack.authorize_url,
    ).generate(state="state-123")
    redirect = httpx.get(url, follow_redirects=False)
    assert redirect.status_code == 302
    location = redirect.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def _exchange(slack: SlackStandIn, code: str, secret: str = CLIENT_SECRET) -> dict[str, object]:
    client = WebClient(base_url=slack.api_url)
    return client.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=secret, code=code, redirect_uri=REDIRECT_URI
    ).data  # type: ignore[return-value]


def test_authorize_redirects_with_a_code_and_the_state(
    slack: SlackStandIn, clinic: tuple[Workspace, User]
) -> None:
    slack.next_install(*clinic)

    params = _authorize(slack)

    assert params["state"] == "state-123"
    assert params["code"]


def test_authorize_with_an_unknown_client_id_redirects_with_an_error(
    slack: SlackStandIn, clinic: tuple[Workspace, User]
) -> None:
    slack.next_install(*clinic)

    params = _authorize(slack, client_id="999.999")

    assert params == {"error": "invalid_client_id", "state": "state-123"}


def test_a_cancelled_install_redirects_with_access_denied(
    slack: SlackStandIn, clinic: tuple[Workspace, User]
) -> None:
    slack.next_install(*clinic, approve=False)

    params = _authorize(slack)

    assert params == {"error": "access_denied", "state": "state-123"}


def test_oauth_v2_access_answers_slacks_v2_shape(
    slack: SlackStandIn, clinic: tuple[Workspace, User]
) -> None:
    workspace, ada = clinic
    slack.next_install(workspace, ada)

    answer = _exchange(slack, _authorize(slack)["code"])

    installation = slack.installation(workspace)
    assert answer == {
        "ok": True,
        "access_token": installation.bot_token,
        "token_type": "bot",
        "scope": "chat:write,commands,users:read",
        "bot_user_id": installation.bot_user_id,
        "app_id": slack.app.app_id,
        "team": {"id": workspace.id, "name": "Sunrise Therapy"},
        "enterprise": None,
        "authed_user": {"id": ada.id},
        "is_enterprise_install": False,
    }
    assert str(answer["access_token"]).startswith("xoxb-")
    assert WebClient(token=installation.bot_token, base_url=slack.api_url).auth_test()["ok"]
    [call] = slack.calls("oauth.v2.access")
    assert call.args["client_secret"] == "(redacted)"


def test_a_code_works_once(slack: SlackStandIn, clinic: tuple[Workspace, User]) -> None:
    slack.next_install(*clinic)
    code = _authorize(slack)["code"]
    _exchange(slack, code)

    with pytest.raises(SlackApiError) as raised:
        _exchange(slack, code)

    assert raised.value.response["error"] == "code_already_used"


def test_a_wrong_client_secret_is_refused(
    slack: SlackStandIn, clinic: tuple[Workspace, User]
) -> None:
    slack.next_install(*clinic)

    with pytest.raises(SlackApiError) as raised:
        _exchange(slack, _authorize(slack)["code"], secret="guess")

    assert raised.value.response["error"] == "bad_client_secret"


def test_reinstalling_keeps_the_bot_user_and_token(
    slack: SlackStandIn, clinic: tuple[Workspace, User]
) -> None:
    slack.next_install(*clinic)
    first = _exchange(slack, _authorize(slack)["code"])
    slack.next_install(*clinic)

    second = _exchange(slack, _authorize(slack)["code"])

    assert second["bot_user_id"] == first["bot_user_id"]
    assert second["access_token"] == first["access_token"]


def test_user_scopes_add_a_user_token_for_the_installer(
    slack: SlackStandIn, clinic: tuple[Workspace, User]
) -> None:
    slack.next_install(*clinic)

    answer = _exchange(slack, _authorize(slack, user_scopes=("users:read",))["code"])

    authed_user = answer["authed_user"]
    assert isinstance(authed_user, dict)
    assert authed_user["id"] == clinic[1].id
    assert authed_user["token_type"] == "user"
    assert str(authed_user["access_token"]).startswith("xoxp-")


def test_bolts_oauth_flow_installs_two_workspaces_through_the_stand_in(tmp_path: Path) -> None:
    late = LateApp()
    with serving(late) as app_url:
        redirect_uri = f"{app_url}/slack/oauth_redirect"
        with SlackStandIn(
            signing_secret=SIGNING_SECRET,
            app_url=app_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_urls=[redirect_uri],
        ) as slack:
            store = FileInstallationStore(base_dir=str(tmp_path / "installations"))
            app = App(
                signing_secret=SIGNING_SECRET,
                client=WebClient(base_url=slack.api_url),
                oauth_settings=OAuthSettings(
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    scopes=SCOPES,
                    redirect_uri=redirect_uri,
                    authorization_url=slack.authorize_url,
                    installation_store=store,
                    state_store=FileOAuthStateStore(
                        expiration_seconds=600, base_dir=str(tmp_path / "states")
                    ),
                ),
            )
            late.target = SlackRequestHandler(app)
            sunrise = slack.create_workspace("Sunrise Therapy")
            harbor = slack.create_workspace("Harbor Physio")
            ada = slack.create_user(sunrise, "ada", is_admin=True)
            chloe = slack.create_user(harbor, "chloe", is_admin=True)

            walks = [
                slack.install_via_oauth(f"{app_url}/slack/install", sunrise, ada),
                slack.install_via_oauth(f"{app_url}/slack/install", harbor, chloe),
            ]

            for walk, workspace, installer in ((walks[0], sunrise, ada), (walks[1], harbor, chloe)):
                assert walk.status == 200, walk.body
                assert walk.final_url.startswith(redirect_uri)
                saved = store.find_installation(enterprise_id=None, team_id=workspace.id)
                assert saved is not None
                assert saved.bot_token == slack.installation(workspace).bot_token
                assert saved.bot_id == slack.installation(workspace).bot_id
                assert saved.user_id == installer.id
            assert [hop.status for hop in walks[0].hops] == [200, 302, 200]
