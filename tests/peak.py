"""The peak resident memory of this process's own program, for the tests that bound it.

Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries it over ``execve`` from the process
that forked this one, so a child of a pytest process of 2 GB reports 2 GB whatever it uses
itself, and a bound on it holds whatever the code does. ``VmHWM`` in ``/proc/self/status`` is
the peak of this program's own memory since it started.
"""

from __future__ import annotations

import resource
from pathlib import Path


def own_peak_rss_mb() -> float:
    """This program's peak resident memory in MB (VmHWM; ru_maxrss where /proc is absent)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
