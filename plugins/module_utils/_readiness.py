# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness wait policy: N consecutive successes inside an overall budget.

One success is not enough: the Document Server regenerates fonts after its first start and
restarts docservice, so /healthcheck goes 502 -> true -> 502 -> true. Any failure resets the
count. The policy is pure: the check, the clock and the sleep are passed in, so unit tests
run it on a fake clock.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time


def _record(history, observation, at):
    """Append an observation, merging it into the last entry when it is the same."""
    if history and history[-1]["obs"] == observation:
        history[-1]["count"] += 1
        history[-1]["last"] = at
    else:
        history.append({"obs": observation, "count": 1, "first": at, "last": at})


def wait(check, successes=3, budget=10.0, interval=0.2, start_period=0.0,
         clock=time.monotonic, sleep=time.sleep):
    """Call ``check()`` until it succeeds ``successes`` times in a row or ``budget`` runs out.

    ``check`` returns (ok, observation); observations are kept as text in a history where
    consecutive identical ones are merged into {obs, count, first, last} (seconds since the
    start, when the attempts began). Attempts start every ``interval`` seconds (at once
    when a check took longer); none starts at or after the end of the budget, and there is
    always at least one. Failures during the first ``start_period`` seconds are expected:
    they reset the count like any other but are not counted in ``failures``.

    Returns a dict: ready, attempts, consecutive, failures, elapsed, history.
    """
    start = clock()
    deadline = start + budget
    history = []
    attempts = consecutive = failures = 0
    while True:
        attempt_at = clock()
        ok, observation = check()
        attempts += 1
        _record(history, str(observation), round(attempt_at - start, 3))
        if ok:
            consecutive += 1
        else:
            consecutive = 0
            if attempt_at - start >= start_period:
                failures += 1
        if consecutive >= successes:
            break
        next_at = max(attempt_at + interval, clock())
        if next_at >= deadline:
            break
        sleep(max(0.0, next_at - clock()))
    return {
        "ready": consecutive >= successes,
        "attempts": attempts,
        "consecutive": consecutive,
        "failures": failures,
        "elapsed": round(clock() - start, 3),
        "history": history,
    }
