"""Stripe's form-encoded parameters: decoding into nested values, and checking them.

The SDK sends ``line_items[0][price_data][unit_amount]=500``, ``metadata[invoice_id]=7``,
``expand[0]=payment_intent`` (``expand[]=…`` from other clients). `decode` builds the raw tree
(indexed keys stay dict keys until a spec says the value is a list); a `Params` spec then
checks it the way Stripe does, answering 400 with the offending parameter's full name in
``param``: unknown parameters (with a suggestion for a misspelling), missing required ones,
non-integers, values outside an enum, strings too long.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.stripe.errors import StripeError, invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

#: Stripe's limits on metadata: keys, key length, value length.
METADATA_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The nested parameters of a query string or form body, in the order sent."""
    tree: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        path = [match.group(1), *_SEGMENT.findall(match.group(2))]
        _place(tree, path, value, key)
    return tree


def _place(tree: dict[str, Any], path: list[str], value: str, key: str) -> None:
    node: Any = tree
    for depth, segment in enumerate(path[:-1]):
        following = path[depth + 1]
        if segment == "":
            raise invalid(f"Invalid array parameter: {key}", param=key)
        child = node.get(segment)
        if child is None:
            child = [] if following == "" else {}
            node[segment] = child
        wanted = list if following == "" else dict
        if not isinstance(child, wanted):
            raise invalid(f"Invalid {'array' if wanted is list else 'hash'}", param=key)
        node = child
    last = path[-1]
    if last == "":
        node.append(value)
    elif isinstance(node, dict):
        if last in node:
            raise invalid(f"Parameter {key} was given more than once", param=key)
        node[last] = value
    else:  # pragma: no cover - `_place` only descends into lists for a trailing []
        raise invalid(f"Invalid array parameter: {key}", param=key)


# -- specs -----------------------------------------------------------------------------------


class Field:
    """One parameter's rule; `check` returns the value converted (ints, bools, lists)."""

    required: bool = False

    def check(self, value: Any, name: str) -> Any:
        raise NotImplementedError


@dataclass
class Str(Field):
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 5000

    def check(self, value: Any, name: str) -> Any:
        if not isinstance(value, str):
            raise invalid("Invalid string", param=name)
        if value == "" and self.required:
            raise _empty(name)
        if self.choices and value not in self.choices:
            raise invalid(f"Invalid {_leaf(name)}: must be one of {_or(self.choices)}", param=name)
        if len(value) > self.max_length:
            raise invalid(
                f"Invalid string: {value[:20]}...; must be at most {self.max_length} characters",
                param=name,
            )
        return value


@dataclass
class Int(Field):
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None

    def check(self, value: Any, name: str) -> Any:
        if value == "" and self.required:
            raise _empty(name)
        if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
            raise StripeError(
                400,
                f"Invalid integer: {value}",
                param=name,
                code="parameter_invalid_integer",
            )
        number = int(value)
        if self.minimum is not None and number < self.minimum:
            raise invalid(
                f"This value must be greater than or equal to {self.minimum}.", param=name
            )
        if self.maximum is not None and number > self.maximum:
            raise invalid(f"This value must be less than or equal to {self.maximum}.", param=name)
        return number


@dataclass
class Bool(Field):
    required: bool = False

    def check(self, value: Any, name: str) -> Any:
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=name)
        return value == "true"


@dataclass
class Params(Field):
    """A hash of named parameters (the request itself, or a nested object)."""

    fields: Mapping[str, Field] = field(default_factory=dict)
    required: bool = False

    def check(self, value: Any, name: str) -> Any:
        if not isinstance(value, dict):
            raise invalid("Invalid hash", param=name)
        checked: dict[str, Any] = {}
        for key, raw in value.items():
            rule = self.fields.get(key)
            full = f"{name}[{key}]" if name else key
            if rule is None:
                raise _unknown(full, key, self.fields)
            checked[key] = rule.check(raw, full)
        for key, rule in self.fields.items():
            if rule.required and key not in value:
                full = f"{name}[{key}]" if name else key
                raise StripeError(
                    400, f"Missing required param: {full}.", param=full, code="parameter_missing"
                )
        return checked

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        """The request's parameters checked against this spec (the top level has no name)."""
        checked: dict[str, Any] = self.check(params, "")
        return checked


@dataclass
class ListOf(Field):
    item: Field
    required: bool = False
    max_items: int = 100

    def check(self, value: Any, name: str) -> Any:
        if isinstance(value, dict) and all(key.isdigit() for key in value):
            ordered = sorted(value.items(), key=lambda pair: int(pair[0]))
            if [int(key) for key, _ in ordered] != list(range(len(ordered))):
                raise invalid("Invalid array", param=name)
            value = [item for _, item in ordered]
        if value == "" and not self.required:
            return []
        if not isinstance(value, list):
            raise invalid("Invalid array", param=name)
        if self.required and not value:
            raise _empty(name)
        if len(value) > self.max_items:
            raise invalid(f"{name} can have at most {self.max_items} items", param=name)
        return [self.item.check(item, f"{name}[{index}]") for index, item in enumerate(value)]


@dataclass
class Metadata(Field):
    """Free-form string pairs; an empty string unsets it, as in Stripe."""

    required: bool = False

    def check(self, value: Any, name: str) -> Any:
        if value == "":
            return {}
        if not isinstance(value, dict) or any(not isinstance(v, str) for v in value.values()):
            raise invalid("Invalid hash", param=name)
        if len(value) > METADATA_KEYS:
            raise invalid(f"Metadata can have up to {METADATA_KEYS} keys.", param=name)
        for key, item in value.items():
            if len(key) > METADATA_KEY_LENGTH:
                raise invalid(
                    f"Metadata keys can have up to {METADATA_KEY_LENGTH} characters.",
                    param=f"{name}[{key}]",
                )
            if len(item) > METADATA_VALUE_LENGTH:
                raise invalid(
                    f"Metadata values can have up to {METADATA_VALUE_LENGTH} characters.",
                    param=f"{name}[{key}]",
                )
        return dict(value)


@dataclass
class Range(Field):
    """A timestamp filter: one integer, or a hash of ``gt``/``gte``/``lt``/``lte``."""

    required: bool = False

    def check(self, value: Any, name: str) -> Any:
        if isinstance(value, str):
            exact = Int().check(value, name)
            return {"gte": exact, "lte": exact}
        bounds = Params({key: Int() for key in ("gt", "gte", "lt", "lte")})
        return bounds.check(value, name)


def in_range(created: int, bounds: Mapping[str, int] | None) -> bool:
    """Whether `created` satisfies a `Range` filter (None: no filter)."""
    if not bounds:
        return True
    return (
        created > bounds.get("gt", created - 1)
        and created >= bounds.get("gte", created)
        and created < bounds.get("lt", created + 1)
        and created <= bounds.get("lte", created)
    )


@dataclass
class Unsupported(Field):
    """A parameter Stripe takes but the stand-in does not model: refused, saying so, rather
    than ignored (an ignored parameter would let a test pass that Stripe would not)."""

    def check(self, value: Any, name: str) -> Any:
        raise invalid(
            f"{name} is a Stripe parameter that the Stripe stand-in does not support yet",
            param=name,
        )


def unsupported(*names: str) -> dict[str, Field]:
    return {name: Unsupported() for name in names}


#: ``expand[]``, accepted by every endpoint.
EXPAND = ListOf(Str(max_length=200), max_items=20)


def _unknown(full: str, key: str, known: Mapping[str, Field]) -> StripeError:
    message = f"Received unknown parameter: {full}"
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    if close:
        message += f". Did you mean {close[0]}?"
    return StripeError(400, message, param=full, code="parameter_unknown")


def _empty(name: str) -> StripeError:
    return StripeError(
        400,
        f"You passed an empty string for '{name}'. We assume empty values are an attempt to"
        f" unset a parameter; however '{name}' cannot be unset. You should remove '{name}'"
        " from your request or supply a non-empty value.",
        param=name,
        code="parameter_invalid_empty",
    )


def _leaf(name: str) -> str:
    return name.rsplit("[", 1)[-1].rstrip("]")


def _or(choices: tuple[str, ...]) -> str:
    if len(choices) == 1:
        return choices[0]
    return ", ".join(choices[:-1]) + f", or {choices[-1]}"
