"""Stripe's webhook signature: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" keyed with the endpoint's whsec_ secret>``, which `stripe.Webhook.construct_event`
verifies (within five minutes of ``t`` by default)."""

from __future__ import annotations

import hashlib
import hmac


def signature_header(secret: str, timestamp: int, payload: bytes) -> str:
    """The ``Stripe-Signature`` value for `payload` sent at `timestamp`."""
    signed = str(timestamp).encode() + b"." + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
