"""Wrappers that give every listener the same edges: who is asking, whether their role
allows it, and how each kind of failure is answered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Option

from bot.edge.deps import BotDeps, Caller, PracticeNotInstalled, identify
from bot.edge.respond import apology, modal_errors, notice_modal, problem_text
from bot.edge.text import NOT_INSTALLED
from domain.errors import DomainError, ValidationError
from domain.roles import Role

Listener = Callable[..., None]
SPENT_TRIGGER = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"})


@dataclass(frozen=True)
class Saved:
    """What a submission handler answers: how to ack (nothing: close the modal) and what to
    do after the ack, such as Slack calls that must not delay it past three seconds."""

    ack: dict[str, Any] = field(default_factory=dict)
    then: Callable[[], None] | None = None


SubmissionHandler = Callable[[Caller, dict[str, Any], WebClient], Saved]
ActionHandler = Callable[[Caller, dict[str, Any], WebClient], None]
OptionsHandler = Callable[[Caller, str], list[Option]]
"""The options of a select menu that searches, for what the user typed so far."""
CommandHandler = Callable[[Caller, str, dict[str, Any], WebClient, Ack], Callable[[], Any] | None]
"""Acks (with a reply, or empty), and may return Slack calls to make after the answer."""


def submission(
    deps: BotDeps, needed: Role, block_for_field: Mapping[str, str], handle: SubmissionHandler
) -> Listener:
    """A view_submission listener: field errors go back into the modal and nothing is saved;
    a missing role or a conflict replaces the modal with a notice saying why."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        try:
            # A change is checked against the role as stored right now, never a recent read.
            caller = identify(deps, context.team_id, context.user_id, fresh=True)
            caller.require(needed)
            answer = handle(caller, body["view"], client)
        except ValidationError as error:
            ack(response_action="errors", errors=modal_errors(error, block_for_field, body["view"]))
            return
        except DomainError as error:
            text = NOT_INSTALLED if isinstance(error, PracticeNotInstalled) else problem_text(error)
            ack(response_action="update", view=notice_modal("Not saved", text))
            return
        except Exception as error:  # logged once, under the id the notice shows
            # Not re-raised: with process_before_response Bolt would answer a listener's
            # exception with an empty 500 in place of the ack, and the user would never
            # see the apology.
            ack(response_action="update", view=notice_modal("Not saved", apology(error)))
            return
        _forget_recent(deps, context.team_id)
        ack(**answer.ack)
        if answer.then is not None:
            deps.later(answer.then)

    return listener


def action(
    deps: BotDeps, needed: Role | None, handle: ActionHandler, *, changes: bool = False
) -> Listener:
    """A block_actions listener (a button in a message, Home or a modal). Problems open a
    notice modal, since an action may come from the Home tab where there is no channel.
    `changes=True` for an action that changes data: its role is checked as stored now."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id = context.team_id, context.user_id
        deps.later(lambda: _act(deps, needed, handle, body, client, team_id, user_id, changes))

    return listener


def _act(
    deps: BotDeps,
    needed: Role | None,
    handle: ActionHandler,
    body: dict[str, Any],
    client: WebClient,
    team_id: str | None,
    user_id: str | None,
    changes: bool,
) -> None:
    trigger = body.get("trigger_id")
    try:
        caller = identify(deps, team_id, user_id, fresh=changes)
        if needed is not None:
            caller.require(needed)
        handle(caller, body, client)
        if changes:
            _forget_recent(deps, team_id)
    except DomainError as error:
        text = NOT_INSTALLED if isinstance(error, PracticeNotInstalled) else problem_text(error)
        if trigger:
            client.views_open(trigger_id=trigger, view=notice_modal("Billing Bot", text))
    except Exception as error:  # logged once, under the id the notice shows
        text = apology(error)
        if trigger and not _trigger_spent(error):
            client.views_open(trigger_id=trigger, view=notice_modal("Billing Bot", text))


def _trigger_spent(error: Exception) -> bool:
    """Slack refused the trigger_id itself, so a notice opened with it would fail too."""
    return isinstance(error, SlackApiError) and error.response.get("error") in SPENT_TRIGGER


def command(deps: BotDeps, handle: CommandHandler) -> Listener:
    """A slash command listener: the handler acks (with a reply or after opening a modal);
    problems are answered as a message only the user sees."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        try:
            caller = identify(deps, context.team_id, context.user_id)
            then = handle(caller, str(body.get("text") or "").strip(), body, client, ack)
            if then is not None:
                deps.later(then)
        except PracticeNotInstalled:
            ack(NOT_INSTALLED)
        except DomainError as error:
            ack(problem_text(error))
        except Exception as error:  # logged once; not re-raised, as in `submission`
            ack(apology(error))

    return listener


def options(deps: BotDeps, handle: OptionsHandler) -> Listener:
    """A block_suggestion listener: a select menu asking for the options matching what the
    user typed. Slack shows nothing but the menu, so a problem answers with no options."""

    def listener(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        try:
            caller = identify(deps, context.team_id, context.user_id)
            found = handle(caller, str(body.get("value") or ""))
        except DomainError:
            ack(options=[])
            return
        except Exception as error:  # logged once; not re-raised, as in `submission`
            apology(error)
            ack(options=[])
            return
        ack(options=found)

    return listener


def open_or_push(client: WebClient, body: dict[str, Any], view: Any) -> dict[str, Any]:
    """Show a modal from a button: stacked on the modal it was pressed in, else opened.
    Returns the view as Slack holds it (its id and hash, for a later update)."""
    container = body.get("container") or {}
    in_modal = container.get("type") == "view" and (body.get("view") or {}).get("type") == "modal"
    if in_modal:
        shown = client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        shown = client.views_open(trigger_id=body["trigger_id"], view=view)
    return dict(shown["view"])


def _forget_recent(deps: BotDeps, team_id: str | None) -> None:
    """After a change, this process's next read of the workspace goes to the database."""
    if deps.recent is not None and team_id:
        deps.recent.forget(team_id)
