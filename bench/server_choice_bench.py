"""Which server design acks Slack faster with nothing else in it: Bolt's sync App behind its
Flask adapter under gunicorn threads or under Granian's WSGI threads (what `billing-bot
serve` uses), or AsyncApp behind its ASGI adapter under uvicorn.

    .venv/bin/python bench/server_choice_bench.py [--requests 3000] [--concurrency 32]

The bare apps only ack signed `/invoice` slash commands; each runs 2 worker processes on this
machine and their rounds alternate, as in `slack_ack_bench.py`.
"""

from __future__ import annotations

import argparse
import os

from sandbox.slack.standin import SlackStandIn
from slack_ack_bench import (
    BIN,
    HERE,
    SECRET,
    Requests,
    bare_under_granian,
    bare_under_gunicorn,
    free_port,
    line,
    process,
    send,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    slack = SlackStandIn(signing_secret=SECRET).start()
    try:
        workspace = slack.create_workspace("Bench Practice")
        admin = slack.create_user(workspace, "admin", is_admin=True)
        channel = slack.create_channel(workspace, "billing", members=[admin])
        requests = Requests(slack, admin, channel)
        env = {**os.environ, "BENCH_SIGNING_SECRET": SECRET}
        sync_port, async_port, granian_port = free_port(), free_port(), free_port()
        sync_server = bare_under_gunicorn(sync_port)
        async_server = [str(BIN / "uvicorn"), "--workers", "2", "--port", str(async_port)]
        async_server += ["--log-level", "warning", "--no-access-log", "--app-dir", str(HERE)]
        async_server += ["bare_async_bolt_app:app"]
        granian_server = bare_under_granian(granian_port)
        servers = {
            "sync App, Flask, gunicorn 2 x 8 threads": f"http://127.0.0.1:{sync_port}/slack/events",
            "sync App, Flask, Granian 2 x 16 threads": (
                f"http://127.0.0.1:{granian_port}/slack/events"
            ),
            "AsyncApp, ASGI, uvicorn 2 workers": f"http://127.0.0.1:{async_port}/slack/events",
        }
        with (
            process(sync_server, env, f"http://127.0.0.1:{sync_port}/"),
            process(async_server, env, f"http://127.0.0.1:{async_port}/slack/events"),
            process(granian_server, env, f"http://127.0.0.1:{granian_port}/"),
        ):
            for url in servers.values():
                send(url, requests.slash_commands(url, 200), args.concurrency)
            for _ in range(args.rounds):
                for label, url in servers.items():
                    batch = requests.slash_commands(url, args.requests)
                    print(line(label, send(url, batch, args.concurrency)), flush=True)
    finally:
        slack.stop()


if __name__ == "__main__":
    main()
