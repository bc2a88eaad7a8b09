"""The agent follows orders only within its own bounds: never a camera missing from its configuration,
never anything while its owner's switch is off, and a malformed order is skipped, not obeyed."""

from pathlib import Path

from devices.edge import switch
from devices.edge.agent import EdgeAgent
from devices.edge.config import LocalCamera


def agent_for(tmp_path: Path) -> EdgeAgent:
    # No hub is contacted: orders are handed to the agent as its channel would.
    return EdgeAgent("http://127.0.0.1:9", "EDGE-1", "", {7: "testsrc:"}, tmp_path / "state")


def order(camera_id) -> dict:
    return {"id": camera_id, "host": "127.0.0.1", "port": 9, "passphrase": "p" * 16, "stream_id": "s"}


def test_a_camera_not_in_the_configuration_is_never_pushed(tmp_path: Path):
    agent = agent_for(tmp_path)
    agent.follow_orders({"type": "orders", "cameras": [order(999)]})
    assert agent.pushers == {}


def test_nothing_is_pushed_while_paused_and_the_portal_cannot_lift_a_box_pause(tmp_path: Path):
    agent = agent_for(tmp_path)
    switch.pause(agent.state_dir, switch.FROM_BOX)
    try:
        agent.follow_orders({"type": "orders", "paused": False, "cameras": [order(7)]})
        assert agent.pushers == {}
        assert switch.paused_from(agent.state_dir) == "box"
    finally:
        agent.stop_all()


def test_a_portal_pause_is_written_to_the_switch_and_lifted_by_the_portal(tmp_path: Path):
    agent = agent_for(tmp_path)
    agent.follow_orders({"type": "orders", "paused": True, "paused_from": "portal", "cameras": []})
    assert switch.paused_from(agent.state_dir) == "portal"
    agent.follow_orders({"type": "orders", "paused": False, "cameras": []})
    assert switch.paused_from(agent.state_dir) == ""


def test_a_malformed_order_is_skipped(tmp_path: Path):
    agent = agent_for(tmp_path)
    agent.follow_orders({"type": "orders", "cameras": [{"id": 7, "port": "not a port"}, {"id": "x"}]})
    assert agent.pushers == {}


def test_a_substream_is_pushed_only_when_ordered_and_configured(tmp_path: Path):
    agent = EdgeAgent(
        "http://127.0.0.1:9",
        "EDGE-1",
        "",
        {7: LocalCamera(7, "testsrc:640x360", sub="testsrc:320x240"), 8: "testsrc:"},
        tmp_path / "state",
    )
    sub = {"host": "127.0.0.1", "port": 10, "stream_id": "s.sub"}
    try:
        agent.follow_orders({"type": "orders", "cameras": [order(7), order(8)]})
        assert set(agent.pushers) == {7, 8}
        # Camera 8 has no substream on this box: its order is ignored.
        agent.follow_orders(
            {"type": "orders", "cameras": [{**order(7), "sub": sub}, {**order(8), "sub": sub}]}
        )
        assert set(agent.pushers) == {7, 8, (7, "sub")}
        pusher = agent.pushers[7, "sub"]
        assert (pusher.source, pusher.target.port, pusher.target.stream_id) == (
            "testsrc:320x240",
            10,
            "s.sub",
        )
        assert pusher.target.passphrase == "p" * 16
        assert [c["substream"] for c in agent.report()["cameras"]] == [True, False]
        agent.write_status()
        # Only its substream is watched (grid tiles): the hub names no main target; only that is pushed.
        only_sub = {key: value for key, value in order(7).items() if key not in {"host", "port"}}
        agent.follow_orders({"type": "orders", "cameras": [{**only_sub, "sub": sub}]})
        assert set(agent.pushers) == {(7, "sub")}
        agent.follow_orders({"type": "orders", "cameras": [order(7), {**order(8), "sub": {"port": "x"}}]})
        assert set(agent.pushers) == {7, 8}
    finally:
        agent.stop_all()
