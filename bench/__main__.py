"""`python -m bench [name ...] [--scale N]`: run benchmarks, small by default.

Each benchmark is a module `bench/<name>.py` (or package) with `run(scale: int) -> list[dict]`;
every row carries a baseline measured in the same run and the ratio to it.
"""

import argparse
import importlib
import json
import os
import pkgutil
import platform
import subprocess
import sys
import time
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def run_alone(name: str, args) -> int:
    """Run one benchmark in a child process; its exit status."""
    argv = [sys.executable, "-m", "bench", name, "--alone", "--scale", str(args.scale)]
    return subprocess.run([*argv, "--json"] if args.json else argv).returncode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(available())})"
    )
    parser.add_argument("--scale", type=int, default=1, help="multiply the default (small) sizes")
    parser.add_argument("--json", action="store_true", help="print rows as JSON lines")
    parser.add_argument("--alone", action="store_true", help=argparse.SUPPRESS)  # one of several: no header
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)}; have {', '.join(available())}")
    if not args.alone:
        print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')} on {machine()}", flush=True)
    if len(names) > 1:
        # Each in a process of its own: each sets Django up on its own throwaway database.
        failed = [name for name in names if run_alone(name, args)]
        if failed:
            print(f"# failed: {', '.join(failed)}", flush=True)
        return 1 if failed else 0
    for name in names:
        print(f"## {name}", flush=True)
        rows = importlib.import_module(f"bench.{name}").run(args.scale)
        for row in rows:
            print(
                json.dumps(row) if args.json else "  " + "  ".join(f"{k}={v}" for k, v in row.items()),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
