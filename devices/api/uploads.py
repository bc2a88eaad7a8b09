"""A box uploads a window of its recordings: `HEAD`/`PUT` per file with `Upload-Offset`, then complete."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.api.views import IsDevice
from devices.authentication import DeviceTokenAuthentication
from devices.uploads import OffsetMismatch, do_complete_upload, do_receive_chunk, received_bytes
from rtcc.schema import error_answer

OFFSET = OpenApiParameter(
    "Upload-Offset", int, OpenApiParameter.HEADER, description="bytes of this file the hub has already"
)


class UploadFileView(APIView):
    """One recording segment of an upload, sent in chunks; `HEAD` says how much has arrived."""

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]

    @extend_schema(responses={200: OpenApiResponse(description="Upload-Offset: the bytes received")})
    def head(self, request, upload_id: int, name: str):
        received = received_bytes(request.device, upload_id, name)
        return Response(status=status.HTTP_200_OK, headers={"Upload-Offset": str(received)})

    @extend_schema(
        request={"application/octet-stream": bytes},
        parameters=[OFFSET],
        responses={
            204: OpenApiResponse(description="Upload-Offset: the bytes received"),
            409: error_answer("Sent from another offset; Upload-Offset says where to go on."),
        },
    )
    def put(self, request, upload_id: int, name: str):
        offset = request.headers.get("Upload-Offset", "")
        if not offset.isdigit():
            raise ValidationError({"Upload-Offset": "Send the offset of this chunk, a whole number."})
        try:
            received = do_receive_chunk(request.device, upload_id, name, int(offset), request.body)
        except OffsetMismatch as error:
            return Response(
                {"detail": error.messages[0]},
                status=status.HTTP_409_CONFLICT,
                headers={"Upload-Offset": str(error.received)},
            )
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"Upload-Offset": str(received)})


class UploadedFileSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    size = serializers.IntegerField(min_value=0)
    sha256 = serializers.RegexField(r"^[0-9a-f]{64}$")


class CompleteSerializer(serializers.Serializer):
    files = UploadedFileSerializer(many=True, max_length=12 * 360)


class CompletedSerializer(serializers.Serializer):
    export = serializers.IntegerField(allow_null=True)
    sha256 = serializers.CharField(allow_blank=True)


class UploadCompleteView(APIView):
    """The box has sent every file: the hub checks each SHA-256 and cuts the clip."""

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]

    @extend_schema(request=CompleteSerializer, responses={200: CompletedSerializer})
    def post(self, request, upload_id: int):
        form = CompleteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        export = do_complete_upload(request.device, upload_id, form.validated_data["files"])
        return Response({"export": export.pk if export else None, "sha256": export.sha256 if export else ""})
