"""An RTSP camera for tests: GStreamer's RTSP server with an H.264 test pattern.

Run it with Debian's /usr/bin/python3 (the GObject bindings live there, not in the venv):
    /usr/bin/python3 tests/peers/rtsp_server.py PORT [PATH]
It prints "ready" once it listens on 127.0.0.1:PORT and serves rtsp://127.0.0.1:PORT/PATH
(default "cam") until it gets SIGTERM or SIGINT.
"""

import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

LAUNCH = (
    "( videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! rtph264pay name=pay0 pt=96 )"
)


def main() -> None:
    port = int(sys.argv[1])
    path = sys.argv[2] if len(sys.argv) > 2 else "cam"
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(LAUNCH)
    factory.set_shared(True)
    server.get_mount_points().add_factory(f"/{path}", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {port}", file=sys.stderr, flush=True)
        sys.exit(1)
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
