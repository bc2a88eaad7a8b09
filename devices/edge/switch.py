"""The owner's local switch, a file in the state folder: while it exists the box pushes and
uploads nothing. `rtcc-edge pause` and `resume` set it from the box's own console; a pause
pressed in the portal reaches the box over the control channel and is written here too, marked
so that a resume from the portal lifts only a pause from the portal."""

from pathlib import Path

FROM_BOX, FROM_PORTAL = "box", "portal"


def switch_file(state_dir: Path) -> Path:
    return state_dir / "paused"


def paused_from(state_dir: Path) -> str:
    """ "box", "portal", or empty when not paused."""
    try:
        text = switch_file(state_dir).read_text().strip()
    except FileNotFoundError:
        return ""
    return text if text in (FROM_BOX, FROM_PORTAL) else FROM_BOX


def pause(state_dir: Path, source: str = FROM_BOX) -> None:
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = switch_file(state_dir).with_suffix(".new")
    partial.write_text(source)
    partial.replace(switch_file(state_dir))


def resume(state_dir: Path) -> bool:
    try:
        switch_file(state_dir).unlink()
    except FileNotFoundError:
        return False
    return True
