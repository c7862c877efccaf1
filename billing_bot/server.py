"""``billing-bot serve``: the WSGI app under Granian, worker processes with threads, one app
per worker.

Why Granian rather than gunicorn: `bench/server_choice_bench.py` runs the same bare Bolt
app (sync `App`, Flask adapter) under both, and Granian, whose HTTP side is native code
outside the GIL, answers about half again as many requests with a lower p99. The app stays
synchronous: its listeners run on a worker's threads, never inside an event loop.

The Flask app and its database engine are built in each worker (never in the main process),
so no connection or lock is shared between processes.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing.util
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from granian.constants import Interfaces
from granian.errors import ConfigurationError
from granian.log import LogLevels
from granian.server import MPServer
from sqlalchemy.orm import configure_mappers

from billing_bot.bootstrap import build_container
from billing_bot.logs import logging_config
from billing_bot.settings import Settings
from bot.web import create_web_app

# Long enough to finish a Stripe call or a PDF render in flight; short enough for deploys.
GRACEFUL_TIMEOUT_S = 20
ANNOUNCE_WITHIN_S = 120


def load_worker_app(
    settings: Settings, main_pid: int, wrap_app: Callable[[Any], Any] | None = None
) -> Any:
    """Runs in each worker process: build its container and the app it serves (inside
    `wrap_app`'s WSGI middleware when given)."""
    _stop_with_main_process(main_pid)
    # Logging is already set up: Granian applies `log_dictconfig` in each worker.
    container = build_container(settings)
    # At the worker's exit (after a graceful stop): finish queued Slack calls, close the
    # database connections. Granian's workers are multiprocessing children, which run
    # these finalizers but not atexit handlers.
    multiprocessing.util.Finalize(None, container.close, exitpriority=10)
    app = create_web_app(container)
    _settle_heap()
    # Each worker delivers the outbox too; their claims never overlap (storage.outbox_queue).
    container.start_background()
    return wrap_app(app) if wrap_app is not None else app


def with_static_files(exports: dict[str, str], app: Any) -> Any:
    """`app` with folders served as static files beside it (`exports`: URL prefix to
    folder). Not used in production: bench/documents_bench.py serves a file of the same
    size as a PDF through the same server as the floor of a PDF download."""
    from werkzeug.middleware.shared_data import SharedDataMiddleware

    return SharedDataMiddleware(app, exports, cache=False)


def _stop_with_main_process(main_pid: int) -> None:
    """Ask Linux for SIGTERM (a graceful stop) when the main process dies, even by SIGKILL:
    Granian's workers do not watch their parent, and an orphan would go on serving the port."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1  # from <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != main_pid:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _settle_heap() -> None:
    """Keep the objects every request needs (modules, mappers, the app) out of the garbage
    collector's full passes: measured under load, each full pass over them stopped a worker's
    every thread for 130-140 ms, and with them frozen it takes 5-45 ms."""
    configure_mappers()  # otherwise built on the first query, after the freeze
    gc.collect()
    gc.freeze()


def _bind_host(host: str) -> str:
    return host.strip("[]")


def serve(
    settings: Settings,
    *,
    workers: int,
    threads: int,
    wrap_app: Callable[[Any], Any] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, finish the requests in flight, then exit the process.
    `wrap_app` (picklable: each worker process gets it) wraps the app in WSGI middleware.

    The exit status is 0 after a signal and 1 if the address cannot be bound or a worker
    fails to start.
    """
    try:
        _check_address_free(settings.host, settings.port)
    except OSError as exc:
        print(
            f"billing-bot: cannot serve on {settings.host}:{settings.port}: {exc.strerror or exc}",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(1)
    server = _Server(
        settings,
        # Names the app in process titles; `worker_app` below is what each worker runs.
        "billing_bot.server:load_worker_app",
        address=_bind_host(settings.host),
        port=settings.port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        # After SIGTERM or Ctrl-C, how long a worker may take to finish its requests.
        workers_kill_timeout=GRACEFUL_TIMEOUT_S,
        log_level=LogLevels(settings.log_level.lower()),
        log_dictconfig=logging_config(settings.log_level),
        log_access=False,  # one line per Slack request would drown the log; see logs.py
        respawn_failed_workers=False,
        websockets=False,
    )
    try:
        worker_app = partial(load_worker_app, settings, os.getpid(), wrap_app)
        server.serve(target_loader=worker_app, wrap_loader=False)
    except (OSError, ConfigurationError) as exc:
        print(f"billing-bot: cannot serve: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)


def _check_address_free(host: str, port: int) -> None:
    """Raise OSError if something already listens on the address. Granian binds with
    SO_REUSEPORT, so a second server (or a stale one) would otherwise share the port
    silently and take half the requests."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # A previous run's connections in TIME_WAIT do not make the address busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((_bind_host(host), port))


class _Server(MPServer):  # type: ignore[misc]
    """Granian's process-per-worker server, which says "serving on" once a worker accepts
    connections. On Linux each worker binds its own socket (SO_REUSEPORT), so the port
    refuses connections until the first worker has built its app; whoever waits for the
    line may connect at once."""

    def __init__(self, settings: Settings, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._settings = settings

    def startup(self, *args: Any, **kwargs: Any) -> None:
        super().startup(*args, **kwargs)
        # Started only after the workers are forked: a thread running during a fork can
        # leave a lock taken in the child for good.
        announce = threading.Thread(target=_announce, args=(self._settings,), daemon=True)
        announce.start()


def _announce(settings: Settings) -> None:
    host = _bind_host(settings.host)
    deadline = time.monotonic() + ANNOUNCE_WITHIN_S
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, settings.port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.02)
    else:
        return  # the workers failed to start; Granian reports why and exits with 1
    shown = host if ":" not in host else f"[{host}]"
    print(
        f"billing-bot: serving on http://{shown}:{settings.port} "
        f"(public URL {settings.public_base_url}); Ctrl-C or SIGTERM stops",
        flush=True,
    )
