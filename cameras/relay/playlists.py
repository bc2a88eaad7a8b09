"""HLS playlists as the pull gate hands them to ffmpeg: every URL on the camera's own origin.

ffmpeg opens whatever a playlist names: variant playlists, segments, keys, init sections.
The gate rewrites each of them to a path on itself (which it then fetches from the pinned
camera address), and refuses the whole playlist if any names another scheme, host or port.
"""

import re
from urllib.parse import urljoin, urlsplit

from cameras.sources import PullTarget, redact_url
from rtcc.netpolicy import Refused

MAX_PLAYLIST_BYTES = 1_000_000
PLAYLIST_TYPES = ("mpegurl",)  # application/vnd.apple.mpegurl, application/x-mpegurl, audio/mpegurl
PLAYLIST_SUFFIXES = (".m3u8", ".m3u")
MAGIC = b"#EXTM3U"
# ffmpeg reads attribute values quoted or not (ff_parse_key_value), so both are rewritten.
URI_ATTRIBUTE = re.compile(r'(?P<key>\bURI=)(?:"(?P<quoted>[^"]*)"|(?P<bare>[^,"\s]*))', re.IGNORECASE)


def looks_like_playlist(path: str, content_type: str, head: bytes) -> bool:
    """Whether ffmpeg could read this response as a playlist: by type, by name or by its first bytes."""
    if any(kind in content_type.lower() for kind in PLAYLIST_TYPES):
        return True
    if urlsplit(path).path.lower().endswith(PLAYLIST_SUFFIXES):
        return True
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(MAGIC)


def rewrite_playlist(text: str, target: PullTarget, base_url: str) -> str:
    """The playlist with every URL made a path on the gate; Refused if one leaves the camera's origin."""

    def local(uri: str) -> str:
        absolute = urljoin(base_url, uri.strip())
        if not target.same_origin(absolute):
            raise Refused(
                f"The camera's playlist names {redact_url(absolute)}, which is not on "
                f"{target.scheme}://{target.host_header}; the hub fetches segments only from the camera's "
                "own host and port."
            )
        parts = urlsplit(absolute)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def attribute(match: re.Match) -> str:
        value = match["quoted"] if match["quoted"] is not None else match["bare"]
        return f'{match["key"]}"{local(value)}"'

    lines = []
    for line in text.lstrip("\ufeff").splitlines():
        stripped = line.strip()
        if not stripped:
            lines.append("")
        elif stripped.startswith("#"):
            lines.append(URI_ATTRIBUTE.sub(attribute, stripped))
        else:
            lines.append(local(stripped))
    return "\n".join(lines) + "\n"
