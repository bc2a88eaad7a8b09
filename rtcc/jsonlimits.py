"""JSON from clients, parsed within bounds: a size cap and a nesting cap, each refused with a reason.

Python's json module recurses once per level of nesting, so a body of 100,000 open
brackets ends in RecursionError (a 500) wherever a view calls json.loads directly. No
document this project accepts nests deeper than a few levels; MAX_DEPTH leaves room.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

MAX_DEPTH = 32


class JSONRefused(ValueError):
    """The text is not JSON this server accepts; str() is the reason, fit to show the client."""


def max_body_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large_reason(limit: int) -> str:
    return f"The request body is larger than {limit:,} bytes."


def too_deep_reason(limit: int = MAX_DEPTH) -> str:
    return f"JSON nested deeper than {limit} levels is refused."


def depth_exceeds(value, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest more than `limit` deep, walked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, **kwargs):
    """json.loads, raising JSONRefused for text that is not JSON, too large or nested too deep."""
    limit = max_body_bytes()
    if len(text) > limit:
        raise JSONRefused(too_large_reason(limit))
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise JSONRefused(too_deep_reason(max_depth)) from None
    except ValueError as error:  # JSONDecodeError, bad UTF-8, an integer of too many digits
        raise JSONRefused(f"JSON parse error: {error}") from None
    if depth_exceeds(value, max_depth):
        raise JSONRefused(too_deep_reason(max_depth))
    return value


def request_json(request, *, empty=None):
    """The JSON body of a plain Django view's request (`empty` when there is none), or JSONRefused."""
    try:
        body = request.body
    except RequestDataTooBig:
        raise JSONRefused(too_large_reason(max_body_bytes())) from None
    return loads(body) if body else empty
