"""fxbot's import graph: its cycles and the private names imported across modules (exit 1 if any).

    python -m bench.import_graph                   # the whole package
    python -m bench.import_graph fxbot.backtest    # only components touching that prefix

The graph itself is ``tests/support/import_graph.py``, which the architecture tests read too.
"""

from __future__ import annotations

import sys

from tests.support.import_graph import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
