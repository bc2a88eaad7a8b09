"""rtcc-edge: the agent that runs on an edge device. It imports nothing from the hub's Django code,
so it can ship on its own."""

__version__ = "0.2.0"
