"""``python -m sandbox.stripe`` runs the stand-in on its own and prints the app's settings."""

from __future__ import annotations

import signal
import subprocess
import sys

from stripe import StripeClient


def test_the_module_prints_its_url_and_keys_and_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.stripe", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        settings = dict(process.stdout.readline().strip().split("=", 1) for _ in range(3))
        client = StripeClient(
            settings["STRIPE_SECRET_KEY"],
            base_addresses={"api": settings["STRIPE_API_BASE"], "connect": base_url},
        )

        account = client.v1.accounts.create(params={"type": "express"})

        assert base_url.startswith("http://127.0.0.1:")
        assert settings["STRIPE_API_BASE"] == base_url
        assert settings["STRIPE_SECRET_KEY"].startswith("sk_test_")
        assert settings["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
        assert account.id.startswith("acct_")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
