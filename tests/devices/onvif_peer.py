"""A simulated ONVIF camera on loopback: it answers WS-Discovery probes (UDP multicast) and the
two ONVIF media calls a discovery needs (GetProfiles, GetStreamUri), naming a real RTSP stream.

It also sends a second ProbeMatch that names a device service on another host: the agent must
not contact that one.
"""

import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GROUP = "239.255.255.250"

PROBE_MATCHES = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Header><a:RelatesTo>{relates}</a:RelatesTo></s:Header>
<s:Body><d:ProbeMatches>
<d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:cam-0001</a:Address></a:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types>
<d:Scopes>onvif://www.onvif.org/name/Porch%20Cam onvif://www.onvif.org/hardware/SIM-100</d:Scopes>
<d:XAddrs>http://127.0.0.1:{http_port}/onvif/device_service</d:XAddrs></d:ProbeMatch>
<d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:elsewhere</a:Address></a:EndpointReference>
<d:XAddrs>http://10.9.9.9/onvif/device_service</d:XAddrs></d:ProbeMatch>
</d:ProbeMatches></s:Body></s:Envelope>"""

MEDIA = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl"
 xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body>{body}</s:Body></s:Envelope>"""


class OnvifCamera:
    def __init__(self, discovery_port: int, rtsp_url: str):
        self.discovery_port, self.rtsp_url = discovery_port, rtsp_url
        self.probes = 0
        camera = self

        class Media(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if "GetProfiles" in body:
                    answer = (
                        '<trt:GetProfilesResponse><trt:Profiles token="main"/>'
                        '<trt:Profiles token="sub"/></trt:GetProfilesResponse>'
                    )
                else:
                    token = re.search(r"<trt:ProfileToken>(\w+)<", body).group(1)
                    url = camera.rtsp_url if token == "main" else f"{camera.rtsp_url}-sub"
                    answer = f"<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>{url}</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>"
                data = MEDIA.format(body=answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/soap+xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Media)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind(("", discovery_port))
        membership = socket.inet_aton(GROUP) + socket.inet_aton("127.0.0.1")
        self.udp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        self.udp.settimeout(0.2)
        self.running = True

    def __enter__(self):
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        threading.Thread(target=self.answer_probes, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.http.shutdown()
        self.http.server_close()
        self.udp.close()

    def answer_probes(self):
        while self.running:
            try:
                data, sender = self.udp.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            if b"NetworkVideoTransmitter" not in data:
                continue
            self.probes += 1
            relates = re.search(rb"<a:MessageID>([^<]+)</a:MessageID>", data).group(1).decode()
            answer = PROBE_MATCHES.format(relates=relates, http_port=self.http.server_address[1])
            self.udp.sendto(answer.encode(), sender)
