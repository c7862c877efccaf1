"""People's names as Slack knows them (users.info), for the lines the Help channel relays
between workspaces: "Sam from support", "Ada at Calm Minds".

Every relayed message needs its writer's name, and a conversation has few writers, so each
process remembers a name for an hour: a renamed person shows under the new name within the
hour, and users.info (rate limited per workspace) is asked once per person rather than once
per message. A failed lookup is remembered for a minute, so that a workspace whose token was
revoked or that is rate limited is not asked again for every message meanwhile; the caller
then falls back to the user id.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

REMEMBER_S = 3600.0
REMEMBER_FAILURE_S = 60.0
MAX_REMEMBERED = 4096


class SlackNames:
    """First names by (workspace, user), looked up with that workspace's client."""

    def __init__(
        self,
        *,
        remember_s: float = REMEMBER_S,
        remember_failure_s: float = REMEMBER_FAILURE_S,
        limit: int = MAX_REMEMBERED,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._remember_s = remember_s
        self._remember_failure_s = remember_failure_s
        self._limit = limit
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._known: OrderedDict[tuple[str, str], tuple[float, str | None]] = OrderedDict()

    def first_name(self, client: WebClient, team_id: str, user_id: str) -> str | None:
        """The person's first name, or None when Slack would not say (the caller shows the
        id instead)."""
        if not user_id:
            return None
        key = (team_id, user_id)
        now = self._monotonic()
        with self._lock:
            known = self._known.get(key)
            if known is not None and known[0] > now:
                self._known.move_to_end(key)
                return known[1]
        name = _looked_up(client, user_id)
        keep = self._remember_s if name is not None else self._remember_failure_s
        with self._lock:
            self._known[key] = (now + keep, name)
            self._known.move_to_end(key)
            while len(self._known) > self._limit:
                self._known.popitem(last=False)
        return name


def _looked_up(client: WebClient, user_id: str) -> str | None:
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        log.info("event=slack_name_unknown error=%s", error.response.get("error"))
        return None
    except OSError as error:
        log.info("event=slack_name_unknown error=%s", type(error).__name__)
        return None
    return first_name_of(user)


def first_name_of(user: dict[str, object]) -> str | None:
    """The first word of the name Slack shows for a users.info user: the profile's first
    name, else the real name, else the display name or handle."""
    profile = user.get("profile")
    fields = profile if isinstance(profile, dict) else {}
    for candidate in (
        fields.get("first_name"),
        fields.get("real_name"),
        user.get("real_name"),
        fields.get("display_name"),
        user.get("name"),
    ):
        words = str(candidate or "").split()
        if words:
            return words[0]
    return None
