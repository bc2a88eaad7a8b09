"""Which of a socket's cameras may still be streamed: the media endpoints' own check, for each.

A camera's stream is opened with the signed live link its tile was given (the viewing
session and purpose are in it), and is checked again every `CHECK_SECONDS` exactly as
every HLS playlist and segment request is (`authorize_live`): consent, the viewer's role and
agency, suspension, the viewing session. The stored decisions make each check of all the
socket's cameras one Redis round trip while nothing changed; a change voids them at once
(cameras/media/revocations.py).
"""

from cameras.media.authorization_cache import refused_live

CHECK_SECONDS = 0.5  # a revoke ends the bytes within this and one read (cameras/live_stream/streams.py)


def refused_streams(user, session_cookie: str, tokens: dict[int, str]) -> dict[int, str]:
    """{camera id: reason} for each camera of `tokens` that may not be streamed to `user` now."""
    return refused_live(tokens, user, session_cookie)
