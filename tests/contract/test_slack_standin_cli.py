"""``python -m sandbox.slack`` runs the stand-in on its own and says where."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx


def test_the_module_prints_its_base_url_and_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.slack",
            "--port",
            "0",
            "--signing-secret",
            "s3cret",
            "--app-url",
            "http://127.0.0.1:9",
            "--demo",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        demo = json.loads(process.stdout.readline())

        answer = httpx.post(f"{base_url}/api/auth.test").json()

        assert base_url.startswith("http://127.0.0.1:")
        assert answer == {"ok": False, "error": "not_authed"}
        assert [w["name"] for w in demo["workspaces"]] == ["Sunrise Therapy", "Harbor Physio"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
