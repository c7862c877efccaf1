"""The baseline: a Bolt app that only acks, behind Bolt's Flask adapter, for gunicorn or Granian.

    gunicorn -w 2 --threads 8 -k gthread 'bare_bolt_app:create()'
    granian --interface wsgi --workers 2 --blocking-threads 16 --factory bare_bolt_app:create

Authorization answers from memory, so nothing but Bolt and Flask is measured.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult


def create() -> Flask:
    def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=None,
            team_id="T0BENCH",
            bot_token="xoxb-bench",
            bot_id="B0BENCH",
            bot_user_id="U0BENCHBOT",
        )

    bolt = App(signing_secret=os.environ["BENCH_SIGNING_SECRET"], authorize=authorize)

    @bolt.command("/invoice")
    def invoice(ack: Ack) -> None:
        ack()

    @bolt.action("hub_open")
    def hub(ack: Ack) -> None:
        ack()

    handler = SlackRequestHandler(bolt)
    web = Flask("bare_bolt")
    web.post("/slack/events")(lambda: handler.handle(request))
    return web
