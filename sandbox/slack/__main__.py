"""Run the Slack stand-in on its own, for the demo console or by hand.

    python -m sandbox.slack --port 0 --signing-secret s3cret \
        --app-url http://127.0.0.1:8000 [--client-id ID --client-secret SECRET] [--demo]

Prints the base URL on the first line of standard output (then, with ``--demo``, one JSON
line describing two seeded workspaces) and serves until interrupted.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from sandbox.slack.standin import SlackStandIn


def main(argv: Sequence[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    slack = SlackStandIn(
        signing_secret=options.signing_secret,
        app_url=options.app_url,
        client_id=options.client_id,
        client_secret=options.client_secret,
        host=options.host,
        port=options.port,
    ).start()
    print(slack.base_url, flush=True)
    if options.demo:
        print(json.dumps(_seed_demo(slack)), flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    slack.stop()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox.slack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--signing-secret", required=True)
    parser.add_argument("--app-url", help="where the app listens, e.g. http://127.0.0.1:8000")
    parser.add_argument("--client-id", help="OAuth client id the app uses (default: random)")
    parser.add_argument("--client-secret", help="OAuth client secret the app uses")
    parser.add_argument("--demo", action="store_true", help="seed two workspaces and print them")
    return parser


def _seed_demo(slack: SlackStandIn) -> dict[str, Any]:
    """Two practices with an admin, a colleague and a #billing channel each (not installed)."""
    seeded: dict[str, Any] = {"client_id": slack.app.client_id, "workspaces": []}
    for practice, admin, colleague, tz in (
        ("Sunrise Therapy", "ada", "ben", "Europe/Berlin"),
        ("Harbor Physio", "chloe", "dev", "America/New_York"),
    ):
        workspace = slack.create_workspace(practice)
        first = slack.create_user(workspace, admin, tz=tz, is_admin=True)
        second = slack.create_user(workspace, colleague, tz=tz)
        channel = slack.create_channel(workspace, "billing", members=[first, second])
        seeded["workspaces"].append(
            {
                "team_id": workspace.id,
                "name": workspace.name,
                "users": {first.name: first.id, second.name: second.id},
                "channels": {channel.name: channel.id},
                "install_url": f"{slack.authorize_url}?team={workspace.id}&user={first.id}",
            }
        )
    return seeded


if __name__ == "__main__":
    sys.exit(main())
