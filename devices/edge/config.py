"""The box's configuration: the hub, its label, and up to 30 local cameras (main and substream).

A TOML file (`/etc/rtcc-edge.toml`, or `--config`):

    hub = "https://rtcc.example.gov"
    serial = "EDGE-0042"
    claim_code = "Q7Z4-PL2M"
    state_dir = "/var/lib/rtcc-edge"        # token, pause switch, status

    [recordings]                            # the ring buffer on the box
    keep_days = 7
    keep_gb = 20

    [[cameras]]
    id = 17                                 # the hub's camera id
    name = "Porch"
    main = "rtsp://192.168.1.20/stream1"    # pushed to the hub
    sub = "rtsp://192.168.1.20/stream2"     # optional: a low-resolution stream
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MAX_CAMERAS = 30  # a box takes up to 30 cameras, as the field's boxes do
LOCAL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "testsrc:")


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which entry and why."""


@dataclass(frozen=True)
class LocalCamera:
    id: int
    main: str
    sub: str = ""
    name: str = ""


@dataclass
class Config:
    hub: str = ""
    serial: str = ""
    claim_code: str = ""
    state_dir: Path = field(default_factory=lambda: Path.home() / ".rtcc-edge")
    cameras: dict[int, LocalCamera] = field(default_factory=dict)
    # The ring buffer of recordings on the box, shared by its cameras.
    record: bool = True
    keep_days: float = 7.0
    keep_gb: float = 20.0


def check_url(url: str, where: str) -> str:
    if not isinstance(url, str) or not url.startswith(LOCAL_SCHEMES):
        raise ConfigError(f"{where}: give an rtsp://, rtsps://, http:// or https:// URL")
    return url


def camera_from(entry: dict, number: int) -> LocalCamera:
    where = f"camera {number}"
    camera_id = entry.get("id")
    if not isinstance(camera_id, int) or isinstance(camera_id, bool) or camera_id < 1:
        raise ConfigError(f"{where}: `id` must be the hub's camera id, a whole number")
    sub = entry.get("sub", "")
    return LocalCamera(
        id=camera_id,
        main=check_url(entry.get("main"), f"{where} (id {camera_id}): main"),
        sub=check_url(sub, f"{where} (id {camera_id}): sub") if sub else "",
        name=str(entry.get("name", ""))[:100],
    )


def add_cameras(config: Config, cameras: list[LocalCamera]) -> None:
    for camera in cameras:
        if camera.id in config.cameras:
            raise ConfigError(f"camera id {camera.id} is listed twice")
        config.cameras[camera.id] = camera
    if len(config.cameras) > MAX_CAMERAS:
        raise ConfigError(f"{len(config.cameras)} cameras listed; a box takes at most {MAX_CAMERAS}")


def load(path: Path | None) -> Config:
    config = Config()
    if path is None:
        return config
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise ConfigError(f"{path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    for key in ("hub", "serial", "claim_code"):
        if key in data:
            setattr(config, key, str(data[key]))
    if "state_dir" in data:
        config.state_dir = Path(str(data["state_dir"]))
    ring = data.get("recordings", {})
    if not isinstance(ring, dict):
        raise ConfigError(f"{path}: `recordings` must be a table")
    config.record = bool(ring.get("enabled", True))
    for key in ("keep_days", "keep_gb"):
        value = ring.get(key, getattr(config, key))
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{path}: recordings.{key} must be a number above 0")
        setattr(config, key, float(value))
    entries = data.get("cameras", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: `cameras` must be a list of [[cameras]] tables")
    add_cameras(config, [camera_from(entry, n) for n, entry in enumerate(entries, 1)])
    return config
