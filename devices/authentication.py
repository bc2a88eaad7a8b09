from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from devices.enrollment import device_for_token
from devices.models import hash_token


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Device <token>`: the request comes from an edge device, not a person."""

    keyword = "Device"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Device <token>'.")
        device = device_for_token(header[1])
        if device is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked device token; enroll the device again.")
        request.device = device
        # The hash of the token presented, so a rotation replaces exactly this one.
        request.auth_token_hash = hash_token(header[1])
        return (None, device)

    def authenticate_header(self, request):
        return self.keyword


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = DeviceTokenAuthentication
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Device <token>"}
