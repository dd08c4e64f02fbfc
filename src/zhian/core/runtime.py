"""Process-wide settings of the long-running platform process (``zhian serve``, the demo).

The cyclic garbage collector's defaults suit short scripts. The platform holds a large heap
that lives as long as the process (the modules, the app, 5,000 terminal sessions, the bus's
retained log of up to 100,000 events) and allocates at a high rate (each position fix makes a
few dozen objects on its way from the socket to the database). With the defaults, a young
collection runs every 700 allocations and a full one every few hundred thousand, each full
one walking the whole heap: measured in ``bench/bench_jt808_pipeline.py``, that was about a
fifth of the CPU time per stored position.
"""

from __future__ import annotations

import gc

# Young collections every 50,000 net allocations instead of 700: each still finds the
# short-lived cycles (a fix's objects are garbage within a batch) but runs 70x less often.
# The older generations keep their default ratios.
YOUNG_THRESHOLD = 50_000


def tune_collector() -> None:
    """Collect once, move everything alive now (modules, the app, settings, caches) out of the
    collector's sight, and make young collections rarer. Call it once, after start-up."""
    gc.collect()
    # Objects that live as long as the process need never be scanned again; anything frozen
    # that became garbage later is only the start-up state, which is never dropped.
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
