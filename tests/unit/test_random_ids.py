"""Record ids: 128 random bits as 32 hex digits, never the same twice, not even across a
fork (a serving process's workers are forked from one parent)."""

from __future__ import annotations

import os
import re

from gateways.system import RandomIds


def test_ids_are_32_hex_digits_and_never_repeat() -> None:
    ids = RandomIds()

    made = [ids.new_id() for _ in range(5_000)]

    assert all(re.fullmatch(r"[0-9a-f]{32}", made_id) for made_id in made)
    assert len(set(made)) == len(made)


def test_a_forked_child_draws_ids_of_its_own() -> None:
    ids = RandomIds()
    ids.new_id()  # the parent's pool is drawn, with ids left in it
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.write(writing, ids.new_id().encode())
        finally:
            os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    childs = os.read(reading, 64).decode()
    os.close(reading)

    assert len(childs) == 32
    assert childs != ids.new_id()
