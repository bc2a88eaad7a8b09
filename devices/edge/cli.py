"""`rtcc-edge enroll | run | status | pause | resume | discover`: the box's command line."""

import argparse
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from . import __version__, switch
from .agent import EdgeAgent
from .config import Config, ConfigError, LocalCamera, add_cameras, load
from .discover import discover_cameras
from .hub import Hub, HubError

DEFAULT_CONFIG = Path("/etc/rtcc-edge.toml")


def parse_camera(text: str) -> LocalCamera:
    camera_id, _, source = text.partition("=")
    if not camera_id.isdigit() or not source:
        raise argparse.ArgumentTypeError(f"{text!r}: give a camera as <hub camera id>=<local stream URL>")
    return LocalCamera(int(camera_id), source)


def settings(args) -> Config:
    """The config file, with what the command line gives on top."""
    path = args.config if args.config is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    config = load(path)
    for key in ("hub", "serial", "claim_code", "state_dir"):
        if getattr(args, key, None):
            setattr(config, key, getattr(args, key))
    add_cameras(config, getattr(args, "camera", None) or [])
    return config


def need(config: Config, *keys: str) -> None:
    missing = [key.replace("_", "-") for key in keys if not getattr(config, key)]
    if missing:
        raise ConfigError(f"give --{', --'.join(missing)} or set them in the config file")


def enroll(config: Config, args) -> int:
    need(config, "hub", "serial", "claim_code")
    answer = Hub(config.hub, config.serial, config.claim_code, config.state_dir).enroll()
    print(f"enrolled as {answer['serial']}; the token is in {config.state_dir / 'device-token'}")
    return 0


def run(config: Config, args) -> int:
    need(config, "hub")
    agent = EdgeAgent(
        config.hub,
        config.serial,
        config.claim_code,
        config.cameras,
        config.state_dir,
        record=config.record and not args.no_record,
        keep_days=config.keep_days,
        keep_gb=config.keep_gb,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    agent.run(stop, args.interval)
    return 0


def status(config: Config, args) -> int:
    try:
        report = json.loads((config.state_dir / "status.json").read_text())
    except (OSError, ValueError):
        report = {"running": False}
    else:
        report["running"] = time.time() - report.get("written_at", 0) < 10
    report["enrolled"] = (config.state_dir / "device-token").exists()
    report["paused"] = switch.paused_from(config.state_dir)
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0


def pause(config: Config, args) -> int:
    switch.pause(config.state_dir, switch.FROM_BOX)
    print("paused: this box sends and uploads nothing until `rtcc-edge resume`")
    return 0


def resume(config: Config, args) -> int:
    print("resumed" if switch.resume(config.state_dir) else "was not paused")
    return 0


def discover(config: Config, args) -> int:
    found = discover_cameras(
        timeout=args.timeout,
        address=args.address,
        port=args.port,
        interface=args.interface,
        probe_rtsp=not args.no_probe,
    )
    print(json.dumps(found, indent=2))
    return 0


COMMANDS = {
    "enroll": enroll,
    "run": run,
    "status": status,
    "pause": pause,
    "resume": resume,
    "discover": discover,
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="rtcc-edge", description="The edge box's agent for an OpenRTCC hub.")
    top.add_argument("--version", action="version", version=__version__)
    commands = top.add_subparsers(dest="command", required=True)
    for name, help_text in [
        ("enroll", "trade the label's serial and claim code for a device token"),
        ("run", "keep the control channel open and push what the hub asks"),
        ("status", "what the running agent is doing"),
        ("pause", "the owner's switch: send and upload nothing until resumed"),
        ("resume", "lift the pause"),
        ("discover", "find ONVIF cameras on the local network and their RTSP URLs"),
    ]:
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--config", type=Path, help=f"TOML configuration (default {DEFAULT_CONFIG})")
        command.add_argument("--state-dir", type=Path)
        if name in ("enroll", "run"):
            command.add_argument("--hub", help="the hub's base URL, e.g. https://rtcc.example.gov")
            command.add_argument("--serial", help="the serial number on the box's label")
            command.add_argument("--claim-code", help="the claim code on the box's label")
        if name == "run":
            command.add_argument(
                "--camera", action="append", type=parse_camera, default=[], metavar="ID=URL",
                help="a local camera: the hub's camera id and its local RTSP/HTTP URL (repeat)",
            )  # fmt: skip
            command.add_argument(
                "--interval", type=float, help="seconds between heartbeats (default: the hub's)"
            )
            command.add_argument("--no-record", action="store_true", help="keep no ring buffer of recordings")
        if name == "discover":
            command.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for answers")
            command.add_argument("--address", default="239.255.255.250", help="where to send the probe")
            command.add_argument("--port", type=int, default=3702, help="the WS-Discovery port")
            command.add_argument("--interface", default="", help="the local address to send the probe from")
            command.add_argument("--no-probe", action="store_true", help="do not probe the RTSP URLs")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s rtcc-edge %(levelname)s: %(message)s")
    try:
        config = settings(args)
        return COMMANDS[args.command](config, args)
    except (ConfigError, HubError) as error:
        print(f"rtcc-edge {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
