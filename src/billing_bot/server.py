"""``billing-bot serve``: the WSGI app under gunicorn, threaded workers, one app per worker.

The Flask app and its database engine are built in each worker *after* fork (never in the
master), so no connection or lock is shared between processes.
"""

from __future__ import annotations

import gc
import signal
import sys
from typing import Any

# gunicorn ships no type hints.
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
from gunicorn.arbiter import Arbiter  # type: ignore[import-untyped]
from gunicorn.glogging import Logger  # type: ignore[import-untyped]
from gunicorn.workers.gthread import ThreadWorker  # type: ignore[import-untyped]
from sqlalchemy.orm import configure_mappers

from billing_bot.bootstrap import Container, build_container
from billing_bot.bot.web import create_web_app
from billing_bot.logs import logging_config
from billing_bot.settings import Settings

# Long enough to finish a Stripe call or a PDF render in flight; short enough for deploys.
GRACEFUL_TIMEOUT_S = 20


class GracefulThreadWorker(ThreadWorker):  # type: ignore[misc]
    """A gthread worker that finishes its requests on SIGINT as well as on SIGTERM.

    Ctrl-C in a terminal signals every process in the group, so workers see SIGINT directly;
    gunicorn's default would drop their in-flight requests.
    """

    def init_signals(self) -> None:
        super().init_signals()
        signal.signal(signal.SIGINT, self.handle_exit)


class _NoAccessLogLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger, told that the access log is off (see `logging_config`): otherwise
    it formats every request's log line before the null handler drops it."""

    def _compute_access_log_enabled(self) -> bool:
        return False


class _GracefulArbiter(Arbiter):  # type: ignore[misc]
    def handle_int(self) -> None:
        # Same as SIGTERM: stop accepting, let workers finish within the graceful timeout.
        raise StopIteration


class BillingBotServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn application serving `create_web_app` on the settings' host and port."""

    def __init__(self, settings: Settings, *, workers: int, threads: int) -> None:
        self._settings = settings
        self._container: Container | None = None
        self._options: dict[str, Any] = {
            "bind": f"{_bind_host(settings.host)}:{settings.port}",
            "workers": workers,
            "threads": threads,
            "worker_class": GracefulThreadWorker,
            "preload_app": False,
            "graceful_timeout": GRACEFUL_TIMEOUT_S,
            "proc_name": "billing-bot",
            "accesslog": None,  # see logs.logging_config
            "errorlog": "-",
            "loglevel": settings.log_level.lower(),
            "logconfig_dict": logging_config(settings.log_level),
            "logger_class": _NoAccessLogLogger,
            "when_ready": self._announce,
            "worker_exit": _close_worker_container,
            # Gunicorn 25+ opens a control socket at one fixed path per user; two servers on a
            # machine (tests, a second checkout) would fight over it and we never use it.
            "control_socket_disable": True,
        }
        super().__init__(prog="billing-bot serve")

    def load_config(self) -> None:
        for name, value in self._options.items():
            if name in self.cfg.settings:  # settings newer than the installed gunicorn
                self.cfg.set(name, value)

    def load(self) -> Any:
        # Runs in the worker process after fork.
        self._container = build_container(self._settings)
        return create_web_app(self._container)

    def close(self) -> None:
        """Release the worker's container (its database connections)."""
        if self._container is not None:
            self._container.close()
            self._container = None

    def run(self) -> None:
        try:
            _GracefulArbiter(self).run()
        except RuntimeError as exc:  # gunicorn's way of reporting e.g. an unusable address
            print(f"billing-bot: {exc}", file=sys.stderr, flush=True)
            sys.exit(1)

    def _announce(self, _arbiter: Any) -> None:
        host = self._settings.host
        shown = host if ":" not in host else f"[{host}]"
        print(
            f"billing-bot: serving on http://{shown}:{self._settings.port} "
            f"(public URL {self._settings.public_base_url}); Ctrl-C or SIGTERM stops",
            flush=True,
        )


def _settle_heap() -> None:
    """Keep the objects every request needs (modules, mappers, the app) out of the garbage
    collector's full passes: measured under load, each full pass over them stopped a worker's
    every thread for 130-140 ms, and with them frozen it takes 5-45 ms."""
    configure_mappers()  # otherwise built on the first query, after the freeze
    gc.collect()
    gc.freeze()


def _close_worker_container(_arbiter: Any, worker: Any) -> None:
    if isinstance(worker.app, BillingBotServer):
        worker.app.close()


def _bind_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(settings: Settings, *, workers: int, threads: int) -> None:
    """Serve until SIGTERM or SIGINT, finish the requests in flight, then exit the process.

    The exit status is 0 after a signal and 1 if the address cannot be bound.
    """
    BillingBotServer(settings, workers=workers, threads=threads).run()
