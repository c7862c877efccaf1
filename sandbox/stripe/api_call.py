"""What an API handler gets: the state, who is asking, the parameters and the path's ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.stripe.state import StripeState


@dataclass(frozen=True)
class Call:
    """One API request on its way to a handler (which runs under ``state.lock``).

    `account` is the connected account named by ``Stripe-Account``, or None for the
    platform; `params` are decoded but not yet checked (each handler checks its own);
    `args` are the ids matched in the path.
    """

    state: StripeState
    account: str | None
    params: dict[str, Any]
    args: tuple[str, ...]


Handler = Callable[[Call], dict[str, Any]]
