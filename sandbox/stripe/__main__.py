"""Run the Stripe stand-in on its own, for the demo or by hand.

    python -m sandbox.stripe [--port 0] [--webhook http://127.0.0.1:8000/stripe/webhook]
        [--secret-key sk_test_...] [--webhook-secret whsec_...]

Prints the base URL on the first line of standard output, then the settings that point the
app at it (``STRIPE_API_BASE=…``, ``STRIPE_SECRET_KEY=…``, ``STRIPE_WEBHOOK_SECRET=…``, one
per line, ready for a ``.env``), and serves until interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from sandbox.stripe.standin import StripeStandIn


def main(argv: Sequence[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    stripe = StripeStandIn(
        secret_key=options.secret_key,
        webhook_secret=options.webhook_secret,
        deliver_to=options.webhook,
        host=options.host,
        port=options.port,
    ).start()
    print(stripe.base_url, flush=True)
    print(f"STRIPE_API_BASE={stripe.base_url}", flush=True)
    print(f"STRIPE_SECRET_KEY={stripe.secret_key}", flush=True)
    print(f"STRIPE_WEBHOOK_SECRET={stripe.webhook_secret}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    stripe.stop()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox.stripe", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--webhook", help="webhook endpoint URL (default: events are not sent)")
    parser.add_argument("--secret-key", help="the platform's secret key (default: random)")
    parser.add_argument("--webhook-secret", help="the endpoint's whsec_ secret (default: random)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
