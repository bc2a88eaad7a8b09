"""The agent ships on its own: its wheel holds only the agent, runs without Django or any hub
package, and its configuration takes up to 30 local cameras, each with a main and a substream."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from devices.edge.config import MAX_CAMERAS, ConfigError, load
from tests.devices.edge_processes import EDGE_SOURCE


def camera_entries(count: int) -> str:
    return "".join(
        f'[[cameras]]\nid = {n}\nname = "Camera {n}"\nmain = "rtsp://192.168.1.{n}/stream1"\n'
        f'sub = "rtsp://192.168.1.{n}/stream2"\n'
        for n in range(1, count + 1)
    )


def test_a_config_takes_up_to_30_cameras_with_substreams(tmp_path: Path):
    path = tmp_path / "rtcc-edge.toml"
    path.write_text(f'hub = "https://rtcc.example.gov"\nserial = "EDGE-1"\n{camera_entries(MAX_CAMERAS)}')
    config = load(path)
    assert len(config.cameras) == 30
    assert config.cameras[30].sub == "rtsp://192.168.1.30/stream2"
    path.write_text(camera_entries(MAX_CAMERAS + 1))
    with pytest.raises(ConfigError, match="31 cameras listed; a box takes at most 30"):
        load(path)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('id = 1\nmain = "file:///etc/passwd"', "main: give an rtsp://"),
        ('id = "x"\nmain = "rtsp://cam/1"', "`id` must be the hub's camera id"),
        ('id = 1\nmain = "rtsp://cam/1"\n[[cameras]]\nid = 1\nmain = "rtsp://cam/2"', "listed twice"),
    ],
)
def test_a_bad_camera_entry_is_refused_with_its_reason(tmp_path: Path, entry: str, reason: str):
    path = tmp_path / "rtcc-edge.toml"
    path.write_text(f"[[cameras]]\n{entry}\n")
    with pytest.raises(ConfigError, match=reason):
        load(path)


def test_the_wheel_holds_only_the_agent_and_runs_without_django(tmp_path: Path):
    source = tmp_path / "source"
    shutil.copytree(EDGE_SOURCE, source, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", str(source),
         "-w", str(tmp_path / "dist")],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [wheel] = (tmp_path / "dist").glob("rtcc_edge-*.whl")
    target = tmp_path / "box"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check", "--target",
         str(target), str(wheel)],
        capture_output=True, check=True, timeout=300,
    )  # fmt: skip
    assert sorted(p.name for p in target.iterdir() if not p.name.endswith(".dist-info")) == [
        "bin",
        "rtcc_edge",
    ]

    # Its two dependencies, and nothing else of this environment: `-S` skips site-packages.
    deps = tmp_path / "deps"
    deps.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for name in ("websockets", "imageio_ffmpeg"):
        (deps / name).symlink_to(site / name, target_is_directory=True)
    check = (
        "import importlib, sys\n"
        "for name in ('cli', 'agent', 'channel', 'discover', 'push', 'hub', 'config', 'switch'):\n"
        "    importlib.import_module('rtcc_edge.' + name)\n"
        "assert 'django' not in sys.modules\n"
        "try:\n    import django\nexcept ImportError:\n    print('no django here')\n"
        "from rtcc_edge.cli import main\nsys.exit(main(['--version']))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-S", "-c", check],
        env={"PYTHONPATH": f"{target}:{deps}", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["no", "django", "here", "0.4.0"]
