"""rtcc-edge: the agent that runs on an edge box. It imports nothing of the hub (neither Django nor
the hub's apps): it ships on its own, as the small distribution of `pyproject.toml` here, whose
modules import each other relatively so that they run as `devices.edge` in the hub's tree and as
`rtcc_edge` on a box."""

__version__ = "0.4.0"
