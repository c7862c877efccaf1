"""The async baseline: a Bolt AsyncApp that only acks, behind Bolt's ASGI adapter, for uvicorn.

    uvicorn --workers 2 --app-dir bench bare_async_bolt_app:app

The counterpart of `bare_bolt_app` (sync App, Flask adapter, gunicorn threads), so that
`server_choice_bench.py` can compare the two server designs with nothing else in them.
"""

from __future__ import annotations

import os
from typing import Any

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult


async def _authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None,
        team_id="T0BENCH",
        bot_token="xoxb-bench",
        bot_id="B0BENCH",
        bot_user_id="U0BENCHBOT",
    )


bolt = AsyncApp(signing_secret=os.environ["BENCH_SIGNING_SECRET"], authorize=_authorize)


@bolt.command("/invoice")
async def invoice(ack: AsyncAck) -> None:
    await ack()


@bolt.action("hub_open")
async def hub(ack: AsyncAck) -> None:
    await ack()


app = AsyncSlackRequestHandler(bolt)
