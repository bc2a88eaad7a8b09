"""Check an audit export (JSON Lines from GET /api/v1/audit/export/) with nothing but Python.

    python verify_export.py FILE [--head DIGEST]

Each line holds `sequence`, `previous_digest`, `digest` and `content`, the exact text the
digest covers: sha256(previous_digest + content) must equal `digest`, each line must link to
the one before, and sequences must run 1, 2, 3... from the genesis digest (64 zeros). Prints
"verified N rows, head H" and exits 0, or names the first row that does not hold and exits 1.
With --head, one row's digest must equal a head the agency published (the transparency
page lists one per day), which proves the history up to that day was not rewritten.

This file imports only the standard library, so anyone can read it whole and run it without
the project.
"""

import argparse
import hashlib
import json
import sys

GENESIS = "0" * 64


class BrokenRow(Exception):
    def __init__(self, row: int, reason: str):
        super().__init__(f"row {row} is broken: {reason}")
        self.row = row


def verify_lines(lines, digests: dict | None = None) -> tuple[int, str]:
    """(rows, head) of an intact export; raises BrokenRow at the first row that does not hold.

    `digests`, if given, is filled with {digest: row} to look published heads up in.
    """
    previous, count = GENESIS, 0
    for count, line in enumerate(lines, start=1):
        try:
            row = json.loads(line)
            sequence, stated_previous = row["sequence"], row["previous_digest"]
            digest, content = row["digest"], row["content"]
        except (ValueError, TypeError, KeyError) as error:
            raise BrokenRow(count, f"not a readable export line ({error})") from None
        if sequence != count:
            raise BrokenRow(count, f"its sequence is {sequence!r}, expected {count}")
        if stated_previous != previous:
            raise BrokenRow(count, "it does not link to the row before")
        if not isinstance(content, str) or not isinstance(digest, str):
            raise BrokenRow(count, "content and digest must be text")
        if hashlib.sha256((previous + content).encode()).hexdigest() != digest:
            raise BrokenRow(count, "its content does not hash to its digest (changed after it was written)")
        try:
            hashed_sequence = json.loads(content).get("sequence")
        except (ValueError, AttributeError):
            hashed_sequence = None
        if hashed_sequence != sequence:
            raise BrokenRow(count, "the hashed content names another sequence")
        previous = digest
        if digests is not None:
            digests[digest] = count
    return count, previous


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify an OpenRTCC audit export (JSON Lines).")
    parser.add_argument("file", help="the export, as downloaded")
    parser.add_argument(
        "--head",
        help="a head the agency published (on /transparency/, any day): it must be one of the export's rows",
    )
    args = parser.parse_args(argv)
    try:
        # Bytes, decoded row by row: a tampered byte that is not UTF-8 is that row's fault.
        with open(args.file, "rb") as export:
            digests: dict[str, int] = {}
            rows, head = verify_lines((line for line in export if line.strip()), digests)
    except BrokenRow as error:
        print(error)
        return 1
    except OSError as error:
        print(f"cannot read {args.file}: {error}")
        return 2
    if args.head is not None and args.head not in digests:
        print(f"verified {rows} rows, head {head}, but no row has the published head {args.head}")
        return 1
    print(f"verified {rows} rows, head {head}")
    if args.head is not None:
        # A head published on an earlier day is an earlier row: the history up to it is unchanged.
        print(f"the published head is row {digests[args.head]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
