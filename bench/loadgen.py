"""A small closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending its
next prepared request as soon as the previous answer arrives.

Every request is prepared up front (Slack requests are signed once and may be sent once),
so the loop only writes bytes and reads answers. It runs in this process's event loop;
on a 2-core machine it competes with the server for CPU, equally for every server measured
in one run, which is what comparisons need.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Result:
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def http_request(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> bytes:
    """The bytes of one request (a POST unless `method` says otherwise), ready to send on a
    keep-alive connection."""
    parts = urlsplit(url)
    lines = [
        f"{method} {parts.path or '/'} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _run(url: str, requests: Sequence[bytes], concurrency: int) -> Result:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                try:
                    request = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                writer.write(request)
                try:
                    status = await _read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    # The server closed a kept-alive connection: reconnect and go on.
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    writer.write(request)
                    status = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return Result(time.perf_counter() - started, latencies, statuses)


def run(url: str, requests: Sequence[bytes], concurrency: int) -> Result:
    """Send every request once over `concurrency` connections; returns the measurements."""
    return asyncio.run(_run(url, requests, concurrency))


def save(path: str, requests: Sequence[bytes]) -> None:
    """Write prepared requests for `python loadgen.py` (length-prefixed, in order)."""
    with open(path, "wb") as out:
        for request in requests:
            out.write(len(request).to_bytes(4, "big") + request)


def _load(path: str) -> list[bytes]:
    requests = []
    with open(path, "rb") as source:
        while header := source.read(4):
            requests.append(source.read(int.from_bytes(header, "big")))
    return requests


def main() -> None:
    """Run in its own process, so the load never shares a GIL with what it measures."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description="send prepared HTTP requests")
    parser.add_argument("url")
    parser.add_argument("requests_file")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    result = run(args.url, _load(args.requests_file), args.concurrency)
    print(
        json.dumps(
            {"seconds": result.seconds, "latencies": result.latencies, "statuses": result.statuses}
        )
    )


if __name__ == "__main__":
    main()
