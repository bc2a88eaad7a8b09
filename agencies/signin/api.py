"""The API's sign-in and sign-out: `POST /api/v1/auth/token/` and `DELETE` on the same path."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.signin.services import AccountLocked, do_end_access, do_issue_token, token_expires_at
from rtcc.api import ClientRateThrottle


class SignInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        help_text="The current code of the account's authenticator app; a resident without one omits it.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(help_text="After this the token is refused; ask for a new one.")


DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})
LOCKED = inline_serializer(
    "Locked", {"detail": serializers.CharField(), "locked_until": serializers.DateTimeField()}
)


class TokenView(APIView):
    """Exchange a username, password and authenticator code for an API token."""

    permission_classes = [AllowAny]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "auth"

    def perform_authentication(self, request):
        # Lazy: asking for a token must work whatever stale token the client still sends.
        pass

    @extend_schema(
        request=SignInSerializer,
        responses={
            200: TokenSerializer,
            429: OpenApiResponse(LOCKED, description="Locked out after 5 failures, or too many tries."),
        },
    )
    def post(self, request):
        form = SignInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            token = do_issue_token(request._request, **form.validated_data)
        except AccountLocked as locked:
            return Response(
                {"detail": str(locked), "locked_until": locked.until},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        return Response(TokenSerializer({"token": token.key, "expires_at": token_expires_at(token)}).data)

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Signed out everywhere."), 401: DETAIL},
    )
    def delete(self, request):
        """Sign out: this token, every other token and session of the caller, and their sockets end."""
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        do_end_access(request.user, reason="signed_out")
        return Response(status=status.HTTP_204_NO_CONTENT)
