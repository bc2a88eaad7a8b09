"""`rtcc-edge discover`: find ONVIF cameras on the local network and the RTSP URLs of their streams.

1. WS-Discovery: a SOAP Probe for NetworkVideoTransmitter sent by UDP multicast to
   239.255.255.250:3702; each camera answers with a ProbeMatch naming its device service
   (XAddrs) and its scopes (name, hardware).
2. ONVIF media: GetProfiles, then GetStreamUri for each profile (the first is usually the main
   stream, the second the substream). A camera that wants credentials says so (HTTP 401); give
   them in the config's URLs.
3. RTSP: a DESCRIBE of each URL says whether the stream answers and with which video codec.

Only the address a camera answered from is contacted afterwards: a ProbeMatch that names
another host is ignored, so a hostile device cannot make the box fetch from elsewhere.
"""

import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from urllib.parse import urlsplit
from xml.etree import ElementTree

MULTICAST = ("239.255.255.250", 3702)
MAX_DATAGRAM = 65_507
MAX_ANSWER = 256 * 1024
MAX_PROFILES = 2  # main stream and substream

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
}

PROBE = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<s:Header><a:MessageID>urn:uuid:{message_id}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>
<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>"""

MEDIA_CALL = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl"
 xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body>{body}</s:Body></s:Envelope>"""

GET_PROFILES = "<trt:GetProfiles/>"
GET_STREAM_URI = (
    "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport>"
    "<tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
    "<trt:ProfileToken>{token}</trt:ProfileToken></trt:GetStreamUri>"
)
TOKEN = re.compile(r"^[\w.-]{1,64}$")


def parse(text: bytes):
    """XML from a device on the network, within bounds; None if it is not XML."""
    if len(text) > MAX_ANSWER or b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        return None  # no document type: no entity expansion from a hostile device
    try:
        return ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None


def probe(
    *, timeout: float = 3.0, address: str = MULTICAST[0], port: int = MULTICAST[1], interface: str = ""
):
    """Send one WS-Discovery Probe; {camera address: ProbeMatch facts} of the answers within `timeout`."""
    message_id = str(uuid.uuid4())
    found: dict[str, dict] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
        if interface:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
        sock.sendto(PROBE.format(message_id=message_id).encode(), (address, port))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data, (sender, _) = sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                break
            for match in probe_matches(data, message_id):
                xaddrs = [url for url in match["xaddrs"] if urlsplit(url).hostname == sender]
                if xaddrs:
                    found.setdefault(match["address"], {**match, "host": sender, "xaddrs": xaddrs})
    return list(found.values())


def probe_matches(data: bytes, message_id: str) -> list[dict]:
    root = parse(data)
    if root is None:
        return []
    relates = root.findtext(".//a:RelatesTo", "", NS).strip()
    if relates and relates != f"urn:uuid:{message_id}":
        return []  # an answer to someone else's probe
    matches = []
    for match in root.findall(".//d:ProbeMatch", NS)[:16]:
        scopes = match.findtext("d:Scopes", "", NS).split()
        matches.append(
            {
                "address": match.findtext("a:EndpointReference/a:Address", "", NS).strip()[:200],
                "xaddrs": [
                    url for url in match.findtext("d:XAddrs", "", NS).split() if url.startswith("http://")
                ][:4],
                "name": scope_value(scopes, "name"),
                "hardware": scope_value(scopes, "hardware"),
            }
        )
    return matches


def scope_value(scopes: list[str], key: str) -> str:
    prefix = f"onvif://www.onvif.org/{key}/"
    for scope in scopes:
        if scope.startswith(prefix):
            return urllib.parse.unquote(scope[len(prefix) :])[:100]
    return ""


def media_call(xaddr: str, body: str, timeout: float):
    request = urllib.request.Request(
        xaddr,
        MEDIA_CALL.format(body=body).encode(),
        {"Content-Type": "application/soap+xml; charset=utf-8"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 -- the camera that answered
        return parse(answer.read(MAX_ANSWER + 1))


def stream_uris(xaddr: str, timeout: float = 3.0) -> tuple[list[dict], str]:
    """([{"profile", "url"}...], problem): the camera's RTSP URLs by ONVIF, main stream first."""
    try:
        profiles = media_call(xaddr, GET_PROFILES, timeout)
        tokens = (
            [p.get("token", "") for p in profiles.findall(".//trt:Profiles", NS)]
            if profiles is not None
            else []
        )
        streams = []
        for token in [t for t in tokens if TOKEN.match(t)][:MAX_PROFILES]:
            answer = media_call(xaddr, GET_STREAM_URI.format(token=token), timeout)
            url = answer.findtext(".//trt:MediaUri/tt:Uri", "", NS).strip() if answer is not None else ""
            if url.startswith(("rtsp://", "rtsps://")) and urlsplit(url).hostname == urlsplit(xaddr).hostname:
                streams.append({"profile": token, "url": url})
    except urllib.error.HTTPError as error:
        return [], "the camera wants a user name and password" if error.code == 401 else f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return [], str(error)[:200]
    return streams, "" if streams else "the camera named no RTSP stream"


def describe(url: str, timeout: float = 3.0) -> dict:
    """An RTSP DESCRIBE: {"status": code or None, "codec": the video codec of the SDP, "problem"}."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 554), timeout=timeout) as sock:
            sock.sendall(f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n".encode())
            answer = b""
            while b"\r\n\r\n" not in answer or len(answer) < header_length(answer):
                chunk = sock.recv(4096)
                if not chunk or len(answer) > MAX_ANSWER:
                    break
                answer += chunk
    except OSError as error:
        return {"status": None, "codec": "", "problem": str(error)[:200]}
    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    match = re.match(r"RTSP/1\.0 (\d{3})", status_line)
    status = int(match.group(1)) if match else None
    codec = re.search(rb"a=rtpmap:\d+ ([\w-]+)/", answer)
    problem = {401: "needs a user name and password", 404: "no such stream"}.get(status, "")
    if status is None:
        problem = "not an RTSP server"
    return {"status": status, "codec": codec.group(1).decode() if codec else "", "problem": problem}


def header_length(answer: bytes) -> int:
    head, _, _ = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return len(head) + 4 + (min(int(length.group(1)), MAX_ANSWER) if length else 0)


def discover_cameras(
    *,
    timeout: float = 3.0,
    address: str = MULTICAST[0],
    port: int = MULTICAST[1],
    interface: str = "",
    probe_rtsp: bool = True,
) -> list[dict]:
    cameras = []
    for match in probe(timeout=timeout, address=address, port=port, interface=interface):
        streams, problem = stream_uris(match["xaddrs"][0], timeout)
        if probe_rtsp:
            for stream in streams:
                stream.update(describe(stream["url"], timeout))
        cameras.append({**match, "streams": streams, "problem": problem})
    return cameras
