"""`billing-bot serve` with one folder of static files mounted beside the app, for
documents_bench.py: the floor of a PDF download is a file of the same size served by the same
server, process and worker settings. Settings come from the environment, as for the app;
BENCH_STATIC_DIR names the folder (served under /floor/)."""

from __future__ import annotations

import os
from functools import partial

from billing_bot.logs import configure_logging
from billing_bot.server import serve, with_static_files
from billing_bot.settings import load_settings

WORKERS, THREADS = 2, 4  # `billing-bot serve`'s defaults

if __name__ == "__main__":
    settings = load_settings(env_file=None)
    configure_logging(settings.log_level)
    exports = {"/floor": os.environ["BENCH_STATIC_DIR"]}
    serve(settings, workers=WORKERS, threads=THREADS, wrap_app=partial(with_static_files, exports))
