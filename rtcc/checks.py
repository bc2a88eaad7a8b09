from django.core.checks import Error, Warning, register

from rtcc.ffmpeg import MINIMUM_SYSTEM_VERSION, find_ffmpeg


@register()
def ffmpeg_check(app_configs, **kwargs):
    ffmpeg = find_ffmpeg()
    minimum = ".".join(map(str, MINIMUM_SYSTEM_VERSION))
    if ffmpeg.version is None:
        return [
            Error(
                f"ffmpeg at {ffmpeg.path} did not report a version.",
                hint="Set RTCC_FFMPEG to a working ffmpeg, or unset it to use the wheel's.",
                id="rtcc.E001",
            )
        ]
    if ffmpeg.version < MINIMUM_SYSTEM_VERSION:
        return [
            Warning(
                f"ffmpeg {ffmpeg.version_text} at {ffmpeg.path} is older than {minimum}.",
                hint="Relays may fail on SRT or HLS options; unset RTCC_FFMPEG to use the wheel's.",
                id="rtcc.W001",
            )
        ]
    return []
