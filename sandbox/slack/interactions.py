"""What the driver hands back: the app's answer plus ways to see what the app then did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.slack import views
from sandbox.slack.model import ResponseUrlPost, View
from sandbox.slack.state import SlackState
from sandbox.slack.transport import AppResponse
from sandbox.slack.waiting import DEFAULT_TIMEOUT, wait_for


@dataclass(frozen=True)
class Interaction:
    """A command or action as sent, the app's answer, and its trigger and response URL."""

    response: AppResponse
    trigger_id: str
    response_url: str | None
    state: SlackState = field(repr=False)

    @property
    def status(self) -> int:
        return self.response.status

    def reply(self) -> Any:
        """The app's immediate answer as JSON (``None`` for a bare ``ack()``)."""
        return self.response.json()

    def opened_view(self, timeout: float = DEFAULT_TIMEOUT) -> View:
        """The modal the app opened or pushed with this interaction's trigger (waits for it)."""

        def opened() -> View | None:
            with self.state.lock:
                found = [v for v in self.state.views.values() if v.trigger_id == self.trigger_id]
            return found[0] if found else None

        return wait_for(opened, timeout=timeout, what=f"view opened with {self.trigger_id}")

    def posts(self) -> list[ResponseUrlPost]:
        """What the app has POSTed to this interaction's response URL so far."""
        with self.state.lock:
            return [post for post in self.state.response_posts if post.url == self.response_url]

    def wait_for_posts(
        self, count: int = 1, timeout: float = DEFAULT_TIMEOUT
    ) -> list[ResponseUrlPost]:
        """At least `count` response URL posts, waiting for the app's lazy listeners."""

        def enough() -> list[ResponseUrlPost] | None:
            posts = self.posts()
            return posts if len(posts) >= count else None

        return wait_for(enough, timeout=timeout, what=f"{count} post(s) to {self.response_url}")


@dataclass(frozen=True)
class Submission(Interaction):
    """A ``view_submission`` and the ``response_action`` the app answered with."""

    view: View

    @property
    def response_action(self) -> str | None:
        answer = self.reply()
        return answer.get("response_action") if isinstance(answer, dict) else None

    @property
    def errors(self) -> dict[str, str]:
        """``{block_id: message}`` when the app answered ``response_action: errors``."""
        answer = self.reply()
        if isinstance(answer, dict) and answer.get("response_action") == "errors":
            return dict(answer.get("errors") or {})
        return {}

    @property
    def input_errors(self) -> dict[str, str]:
        """`errors` keyed by the action id of the input each one shows under: which field a
        person sees it next to, whatever generation tag the app put in the block id."""
        inputs = {
            block.get("block_id"): (block.get("element") or {}).get("action_id")
            for block in self.view.blocks
        }
        return {inputs.get(block) or block: message for block, message in self.errors.items()}

    def current_view(self) -> View | None:
        """The modal the user sees now (``None`` once the app let the stack close)."""
        return views.top_modal(self.state, self.view.team_id, self.view.user_id)


@dataclass(frozen=True)
class EventDelivery:
    """An Events API callback as sent; keep `event_id` to redeliver it as Slack's retry."""

    response: AppResponse
    event_id: str
    payload: dict[str, Any]

    @property
    def status(self) -> int:
        return self.response.status
