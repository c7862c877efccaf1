"""The floor of a Stripe webhook: verify the signature with the SDK's `construct_event` and
insert the event's id into a table of the app's own database, nothing else.

    granian --interface wsgi --workers 2 --blocking-threads 4 --factory \
        bare_stripe_webhook_app:create

`BENCH_DATABASE_URL` names the database (its engine built as the app builds its own, so
SQLite runs in WAL mode with the same pragmas), `BENCH_WEBHOOK_SECRET` the endpoint's
signing secret. The table `bench_floor_events` is made by the benchmark. A bare WSGI
callable, not Flask: the least any endpoint doing this work can cost.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import stripe

from storage.engine import create_engine_for

# Stripe's default tolerance, as the app's own gateway uses.
TOLERANCE_SECONDS = 300
_JSON = [("Content-Type", "application/json")]


def create() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    engine = create_engine_for(os.environ["BENCH_DATABASE_URL"])
    secret = os.environ["BENCH_WEBHOOK_SECRET"]
    mark = "%s" if engine.dialect.name == "postgresql" else "?"
    insert = f"INSERT INTO bench_floor_events (event_id) VALUES ({mark}) ON CONFLICT DO NOTHING"

    def answer(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
        start_response(status, [*_JSON, ("Content-Length", str(len(body)))])
        return [body]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(length)
        try:
            event = stripe.Webhook.construct_event(
                payload,
                environ.get("HTTP_STRIPE_SIGNATURE", ""),
                secret,
                tolerance=TOLERANCE_SECONDS,
            )
        except (ValueError, stripe.SignatureVerificationError):
            return answer(start_response, "400 Bad Request", b'{"error": "invalid"}')
        # A pooled connection used as the driver gives it: SQLite's autocommits the single
        # INSERT (the engine turns pysqlite's own transactions off), PostgreSQL's commits.
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(insert, (event.id,))
            cursor.close()
            connection.commit()
        finally:
            connection.close()
        return answer(start_response, "200 OK", b'{"received": true}')

    return app
