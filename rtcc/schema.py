"""The OpenAPI schema's error answers: each operation lists the 4xx it can give, with their bodies.

Derived from what the view is (authenticated or not, with a body, a path id, a paginated
list, throttled), so a new view is documented without a decorator. The schemathesis run
(tests/api/test_schemathesis.py) fails on any status code an operation gives but does not list.
"""

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "why, in words fit to show"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "Each field in error with its reasons (a list of strings, or per item for lists); "
    "`non_field_errors` or `detail` for the request as a whole.",
    "additionalProperties": {},
}
WITH_BODY = {"POST", "PUT", "PATCH"}
PAGINATION_PARAMETERS = {"page", "page_size"}


def error_answer(description: str) -> OpenApiResponse:
    """An error a view documents itself in `extend_schema(responses=...)`: a `{"detail"}` body."""
    return OpenApiResponse(response={"$ref": "#/components/schemas/Error"}, description=description)


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, (description, component) in self._error_answers().items():
            schema = self._error_component(component).ref
            answer = OpenApiResponse(response=schema, description=description)
            responses.setdefault(code, self._get_response_for_code(answer, code, direction=direction))
        return responses

    def _error_answers(self) -> dict[str, tuple[str, str]]:
        view = self.view
        query = [
            parameter
            for parameter in self._get_parameters()
            if parameter["in"] == "query" and parameter["name"] not in PAGINATION_PARAMETERS
        ]
        answers = {}
        if self.method in WITH_BODY or query:
            answers["400"] = ("The input is invalid; the body names each field in error.", "ValidationError")
        if getattr(view, "authentication_classes", None):
            answers["401"] = ("No credentials, or credentials that are unknown or expired.", "Error")
        if any(permission is not AllowAny for permission in getattr(view, "permission_classes", [])):
            answers["403"] = ("The caller's role does not allow this.", "Error")
        if "{" in self.path or (self._is_list_view() and self._get_paginator() is not None):
            answers["404"] = ("No such object visible to the caller, or no such page.", "Error")
        if self.method in WITH_BODY:
            answers["413"] = ("The request body is too large.", "Error")
            answers["415"] = ("The body is not `application/json`.", "Error")
        if getattr(view, "throttle_classes", None):
            answers["429"] = ("Too many attempts from this client; wait and try again.", "Error")
        return answers

    def _error_component(self, name: str) -> ResolvedComponent:
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            schema=VALIDATION_ERROR if name == "ValidationError" else ERROR,
            object=f"rtcc.schema.{name}",
        )
        self.registry.register_on_missing(component)
        return component
