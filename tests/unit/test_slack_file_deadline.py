"""A file download's time limit holds for the whole download, not for each read: a server
that sends a byte now and then cannot hold the modal's answer past it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.edge.files import FileNotFetched, slack_file_fetcher

TOKEN = "xoxb-test-token"
#: The file it trickles, a byte every 0.4 s (each well within the fetcher's per-read
#: timeout): hours in all.
TRICKLED_BYTES = 100_000
BYTE_EVERY_S = 0.4
#: Long past the fetcher's time limit; it only keeps a fetch that never ends from hanging
#: the test run.
GENEROUS_TIMEOUT = 10.0


@pytest.fixture
def trickling_server() -> Iterator[str]:
    """A file host on 127.0.0.1 that sends its file one byte at a time."""
    stopped = threading.Event()

    class Trickle(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(TRICKLED_BYTES))
            self.end_headers()
            for _ in range(TRICKLED_BYTES):
                if stopped.wait(BYTE_EVERY_S):
                    return
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:  # the client gave up
                    return

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    stopped.set()
    httpd.shutdown()
    thread.join()


def test_a_file_sent_a_byte_at_a_time_is_given_up_at_the_time_limit(
    trickling_server: str,
) -> None:
    fetch = slack_file_fetcher(f"{trickling_server}/api/", limit=1_000, timeout=1.0)
    outcome: list[BaseException | bytes] = []

    def download() -> None:
        try:
            outcome.append(fetch(f"{trickling_server}/files-pri/T1-F1/logo.png", TOKEN))
        except Exception as error:
            outcome.append(error)

    fetching = threading.Thread(target=download, daemon=True)
    fetching.start()
    fetching.join(GENEROUS_TIMEOUT)

    assert not fetching.is_alive(), "the fetch went on past its time limit"
    [failure] = outcome
    assert isinstance(failure, FileNotFetched)
    assert "took too long" in str(failure)
