"""A local stand-in for Slack: Web API, OAuth, files and response URLs over HTTP on 127.0.0.1,
plus a driver that sends the app commands, interactions and events, signed over HTTP or in
envelopes over Socket Mode.

Used by the app's end-to-end tests, the benchmarks and the offline demo console; production
code never imports it (an import-linter contract says so). Start with `SlackStandIn`.
"""

from sandbox.slack.clock import ManualClock
from sandbox.slack.driver import InvalidAppResponse, SlackDriver
from sandbox.slack.interactions import EventDelivery, Interaction, Submission
from sandbox.slack.model import (
    Channel,
    File,
    Installation,
    Message,
    RecordedCall,
    ResponseUrlPost,
    User,
    View,
    Workspace,
)
from sandbox.slack.scopes import DEFAULT_BOT_SCOPES
from sandbox.slack.standin import SlackStandIn
from sandbox.slack.transport import AppResponse, Tamper
from sandbox.slack.view_state import SlackClientRefused

__all__ = [
    "DEFAULT_BOT_SCOPES",
    "AppResponse",
    "Channel",
    "EventDelivery",
    "File",
    "Installation",
    "Interaction",
    "InvalidAppResponse",
    "ManualClock",
    "Message",
    "RecordedCall",
    "ResponseUrlPost",
    "SlackClientRefused",
    "SlackDriver",
    "SlackStandIn",
    "Submission",
    "Tamper",
    "User",
    "View",
    "Workspace",
]
