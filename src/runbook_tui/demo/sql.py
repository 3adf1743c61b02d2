"""`bin/sql DB STATEMENT...`: run SQL on a SQLite database and print the rows.

The demo sandbox's stand-in for the `sqlite3` shell, which is not installed everywhere
(the same statements work there). Standard library only; the sandbox copies this file
to `<sandbox>/bin/sql`. Rows are printed one a line, columns separated by a tab. A
database that does not exist is an error, not a new empty file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: sql DB STATEMENT...", file=sys.stderr)
        return 2
    db = Path(argv[0])
    if not db.is_file():
        print(f"sql: no database at {db}", file=sys.stderr)
        return 1
    with contextlib.closing(sqlite3.connect(db)) as conn:
        for statement in argv[1:]:
            try:
                rows = conn.execute(statement)
                for row in rows:
                    print("\t".join("" if v is None else str(v) for v in row))
            except sqlite3.Error as exc:
                print(f"sql: {exc}", file=sys.stderr)
                return 1
        conn.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
