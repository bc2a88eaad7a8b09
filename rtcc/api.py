"""API plumbing shared by every app: pagination, errors, throttling by client address."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from rtcc import jsonlimits
from rtcc.client import client_address
from rtcc.parsers import RequestTooLarge


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError as a 400 with its messages and an oversized body as 413."""
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):  # from request.body, read before any parser runs
        exc = RequestTooLarge(jsonlimits.too_large_reason(jsonlimits.max_body_bytes()))
    return drf_exception_handler(exc, context)


class ClientRateThrottle(ScopedRateThrottle):
    """The view's scoped rate, counted per client address (rtcc.client), never per claimed identity.

    DRF's own key trusts the whole X-Forwarded-For header, which the client writes.
    """

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request) or "unknown"}
