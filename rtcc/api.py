"""API plumbing shared by every app: pagination, errors, throttling by client address."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from rtcc import jsonlimits
from rtcc.client import client_address
from rtcc.parsers import RequestTooLarge


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def counted_page(self, request, fetch) -> Response:
        """A page of the same shape from `fetch(offset, limit) -> (rows, count)`, one query instead of two.

        For queries that count their rows as they read a page (a window `COUNT(*) OVER ()`),
        where Django's paginator would build and run the whole query twice.
        """
        try:
            number = int(request.query_params.get(self.page_query_param, 1))
        except ValueError:
            number = 0
        if number < 1:
            raise exceptions.NotFound("Invalid page.")
        size = self.get_page_size(request)
        rows, count = fetch((number - 1) * size, size)
        if not rows and number > 1:
            raise exceptions.NotFound("Invalid page.")
        url = request.build_absolute_uri()
        following = (
            replace_query_param(url, self.page_query_param, number + 1) if number * size < count else None
        )
        if number == 1:
            preceding = None
        elif number == 2:
            preceding = remove_query_param(url, self.page_query_param)
        else:
            preceding = replace_query_param(url, self.page_query_param, number - 1)
        return Response({"count": count, "next": following, "previous": preceding, "results": rows})


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


def valid_input(serializer_class, request) -> dict:
    """The request body checked by `serializer_class`: its validated data, or a 400 with each field's reason."""
    form = serializer_class(data=request.data)
    form.is_valid(raise_exception=True)
    return form.validated_data


# The case and the window of a footage request or an export, as their services take them.
CASE_WINDOW = ("start", "end", "case_number", "reason")


def case_window(data: dict) -> dict:
    return {key: data[key] for key in CASE_WINDOW}
