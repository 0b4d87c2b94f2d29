"""A worker keeps what it loaded for its first force out of the garbage collector's later scans.

:func:`peel.kernel_warm_up.keep_loaded_out_of_collections` runs in a child process here, as it runs in
a worker: the garbage made before it is collected, not kept; what is alive is frozen; and garbage
made after it (a later force's) is collected as before.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CHILD = r"""
import gc, json, weakref
from peel.kernel_warm_up import keep_loaded_out_of_collections

class Node:
    pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)

kept = [Node() for _ in range(1000)]  # alive, like the modules a worker loaded
before = cycle()  # garbage of the first force, only a collection frees it
frozen_before = gc.get_freeze_count()
keep_loaded_out_of_collections()
frozen_after = gc.get_freeze_count()
after = cycle()  # garbage of a later force
tracked = len(gc.get_objects())
gc.collect()
print(json.dumps({"before_freed": before() is None, "frozen_before": frozen_before,
                  "frozen_after": frozen_after, "tracked": tracked, "after_freed": after() is None}))
"""


@pytest.mark.subprocess
def test_a_worker_freezes_what_lives_and_still_collects_later_garbage():
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout)
    assert seen["frozen_before"] == 0
    assert seen["before_freed"]  # collected first, not frozen as garbage
    assert seen["frozen_after"] > 1000  # the kept objects and the loaded modules' objects
    assert seen["tracked"] < seen["frozen_after"] / 10  # the collector's scans see only what came after
    assert seen["after_freed"]
