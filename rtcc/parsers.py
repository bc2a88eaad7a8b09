"""The API's one parser: JSON, bounded in size and nesting.

DRF's own JSONParser reads the request stream itself, past Django's
DATA_UPLOAD_MAX_MEMORY_SIZE (only `request.body` checks it), and recurses once per
level of nesting. This one stops reading at the limit and refuses deep documents with a
400 and a reason.
"""

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from rtcc import jsonlimits


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        limit = jsonlimits.max_body_bytes()
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge(jsonlimits.too_large_reason(limit))
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise exceptions.ParseError(f"JSON parse error: {error}") from None
        try:
            return jsonlimits.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except jsonlimits.JSONRefused as error:
            raise exceptions.ParseError(str(error)) from None
