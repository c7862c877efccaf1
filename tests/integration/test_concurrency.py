"""Races that real replicas and busy front desks produce: numbers stay gapless and an
appointment is invoiced once, on PostgreSQL and on SQLite alike."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from storage_scenario import ADMIN, a_practice_with_records, an_invoice

from domain.errors import Conflict
from domain.usecases import invoicing

WRITERS = 16


def _all_at_once(count, work):
    start = threading.Barrier(count)

    def run(index):
        start.wait(timeout=30)
        try:
            return work(index)
        except Exception as error:  # the test inspects what each thread met
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_sixteen_invoices_created_at_once_get_gapless_unique_numbers(new_uow, env):
    setup = a_practice_with_records(new_uow(), env)

    results = _all_at_once(WRITERS, lambda _: an_invoice(new_uow(), env, setup, lines=2))

    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == []
    numbers = sorted(invoice.number for invoice in results)
    assert numbers == [f"INV-{sequence:04d}" for sequence in range(1, WRITERS + 1)]


def test_two_people_invoicing_one_appointment_at_once_get_one_invoice(new_uow, env):
    setup = a_practice_with_records(new_uow(), env)

    results = _all_at_once(
        2,
        lambda _: invoicing.create_invoice_from_appointment(
            setup.practice.id, setup.appointment.id, ADMIN, new_uow(), env
        ),
    )

    invoices = [result for result in results if not isinstance(result, Exception)]
    conflicts = [result for result in results if isinstance(result, Conflict)]
    assert len(invoices) == 1 and len(conflicts) == 1, results
    uow = new_uow()
    with uow:
        assert uow.invoices.for_appointment(setup.practice.id, setup.appointment.id) == invoices[0]
        assert uow.invoices.count(setup.practice.id) == 1
