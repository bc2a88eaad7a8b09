"""On-demand grid tiles: main relayed beside the substream, then the substream alone
(`bench/wall_substreams.py`, `run_on_demand`, where the docstring says what is measured)."""

from bench.wall_substreams import run_on_demand as run

__all__ = ["run"]
