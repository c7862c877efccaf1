"""The baseline: a Bolt app that only acks, behind Bolt's Flask adapter, for gunicorn or Granian.

    gunicorn -w 2 --threads 8 -k gthread 'bare_bolt_app:create()'
    granian --interface wsgi --workers 2 --blocking-threads 16 --factory bare_bolt_app:create

Authorization answers from memory, so nothing but Bolt and Flask is measured.

With `BENCH_SLACK_API_URL` and `BENCH_BOT_TOKEN` set, a Settings click (`hub_open`) also
opens the app's settings modal there, the way Bolt's documentation does it (ack, then
`views.open` on Bolt's listener thread): the least any app can do for that click.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.hub import hub_view


def create() -> Flask:
    api_url = os.environ.get("BENCH_SLACK_API_URL")
    modal = hub_view(os.environ.get("BENCH_PRACTICE_NAME", "")) if api_url else None

    def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=None,
            team_id="T0BENCH",
            bot_token=os.environ.get("BENCH_BOT_TOKEN", "xoxb-bench"),
            bot_id="B0BENCH",
            bot_user_id="U0BENCHBOT",
        )

    bolt = App(
        signing_secret=os.environ["BENCH_SIGNING_SECRET"],
        authorize=authorize,
        client=WebClient(base_url=api_url) if api_url else None,
    )

    @bolt.command("/invoice")
    def invoice(ack: Ack) -> None:
        ack()

    @bolt.action("hub_open")
    def hub(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        if modal is not None:
            client.views_open(trigger_id=body["trigger_id"], view=modal)

    handler = SlackRequestHandler(bolt)
    web = Flask("bare_bolt")
    web.post("/slack/events")(lambda: handler.handle(request))
    return web
