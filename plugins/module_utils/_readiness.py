# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Readiness wait policy: N consecutive successes, held for a while, inside an overall budget.

One success is not enough: the Document Server regenerates fonts after its first start and
restarts docservice, so /healthcheck goes 502 -> true -> 502 -> true. A few successes are
not enough either: a server that crashes a few seconds after its first answers (and is
restarted by its restart policy, again and again) answers `true` in between. So readiness
can also require the streak of successes to last ``stable_for`` seconds, and a
ContainerWatch turns a restart of the container between two answers into a failure.
Any failure resets the streak.

Pure: the check, the clock, the sleep and the container state reader are passed in, so
unit tests run it on a fake clock with fake states. Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

# Attempt times are sums of float intervals (25 x 0.2 may come out as 4.9999999): a streak
# this close to stable_for counts as long enough.
SPAN_TOLERANCE = 1e-6
# Docker's StartedAt of a container that never started.
NEVER_STARTED = '0001-01-01T00:00:00Z'
LOG_LINE_LIMIT = 200


def _record(history, observation, at):
    """Append an observation, merging it into the last entry when it is the same."""
    if history and history[-1]['obs'] == observation:
        history[-1]['count'] += 1
        history[-1]['last'] = at
    else:
        history.append({'obs': observation, 'count': 1, 'first': at, 'last': at})


def wait(check, successes=3, budget=10.0, interval=0.2, start_period=0.0, stable_for=0.0,
         clock=time.monotonic, sleep=time.sleep):
    """Call ``check()`` until it succeeds ``successes`` times in a row over ``stable_for`` seconds.

    Ready means at least ``successes`` consecutive successes whose streak spans at least
    ``stable_for`` seconds, from the start of its first attempt to the start of the latest
    one; a failure resets the streak. ``stable_for=0`` asks for the successes only.

    ``check`` returns (ok, observation); observations are kept as text in a history where
    consecutive identical ones are merged into {obs, count, first, last} (seconds since the
    start, when the attempts began). Attempts start every ``interval`` seconds (at once
    when a check took longer); none starts at or after the end of the budget, and there is
    always at least one, so a ``stable_for`` of ``budget`` or more can never be met. Failures
    during the first ``start_period`` seconds are expected: they reset the streak like any
    other but are not counted in ``failures``.

    Returns a dict: ready, attempts, consecutive, streak_seconds, failures, elapsed, history.
    """
    start = clock()
    deadline = start + budget
    history = []
    attempts = consecutive = failures = 0
    streak_start = streak = 0.0
    while True:
        attempt_at = clock()
        ok, observation = check()
        attempts += 1
        _record(history, str(observation), round(attempt_at - start, 3))
        if ok:
            consecutive += 1
            if consecutive == 1:
                streak_start = attempt_at
            streak = attempt_at - streak_start
        else:
            consecutive, streak = 0, 0.0
            if attempt_at - start >= start_period:
                failures += 1
        ready = consecutive >= successes and streak + SPAN_TOLERANCE >= stable_for
        if ready:
            break
        next_at = max(attempt_at + interval, clock())
        if next_at >= deadline:
            break
        sleep(max(0.0, next_at - clock()))
    return {
        'ready': ready,
        'attempts': attempts,
        'consecutive': consecutive,
        'streak_seconds': round(streak, 3),
        'failures': failures,
        'elapsed': round(clock() - start, 3),
        'history': history,
    }


# ---------------------------------------------------------------- the container behind the answers

def container_state(attrs):
    """The fields of ``docker inspect`` output that tell a crash or a restart; status V(missing) for None."""
    if attrs is None:
        return {'status': 'missing', 'running': False, 'restarting': False, 'exit_code': None,
                'oom_killed': False, 'restart_count': None, 'started_at': None}
    state = attrs.get('State') or {}
    return {
        'status': state.get('Status'),
        'running': bool(state.get('Running')),
        'restarting': bool(state.get('Restarting')),
        'exit_code': state.get('ExitCode'),
        'oom_killed': bool(state.get('OOMKilled')),
        'restart_count': attrs.get('RestartCount'),
        'started_at': state.get('StartedAt'),
    }


def _exit_text(state):
    return '%s%s' % (state['exit_code'], ' (OOM killed)' if state['oom_killed'] else '')


def state_problem(state):
    """Observation for a container that cannot be serving ('exited 1', 'restarting (exit 1)'...), or None."""
    status = state['status']
    if status == 'missing':
        return 'no container'
    # Checked before status: a container waiting to be restarted is also Running.
    if state['restarting'] or status == 'restarting':
        return 'restarting (exit %s)' % _exit_text(state)
    if status == 'exited':
        return 'exited %s' % _exit_text(state)
    if status != 'running':
        return 'not running (%s)' % status
    return None


def _started_at(state):
    started = state['started_at']
    return None if not started or started == NEVER_STARTED else started


def restarted(before, after):
    """Whether the container started again between two reads of its state."""
    return (after['restart_count'] != before['restart_count']
            or _started_at(after) != _started_at(before))


class ContainerWatch:
    """Judges each attempt by the container's state too, against the state at the start of the streak.

    The baseline is the state read at the first success of the current streak: if the
    container restarted since (RestartCount or StartedAt changed), or is not running, the
    attempt fails even when the HTTP answer was healthy, and the streak starts again.
    """

    def __init__(self, read_state):
        self.read_state = read_state
        self.baseline = None
        self.first = self.last = None
        self.starts_seen = 0
        self.last_start = None
        self.last_exit = None

    def watching(self, check):
        """``check`` wrapped: each attempt also reads the container and may fail on its state."""
        def watched_check():
            ok, observation = check()
            problem = self.observe(self.read_state(), ok)
            return (False, problem) if problem else (ok, observation)
        return watched_check

    def observe(self, state, ok):
        """Record STATE after an attempt that was OK or not; the observation that fails it, or None."""
        started = _started_at(state)
        if started is not None:
            if self.last_start is not None and started != self.last_start:
                self.starts_seen += 1
            self.last_start = started
        if self.first is None:
            self.first = state
        self.last = state
        problem = state_problem(state)
        if problem and state['exit_code'] is not None and state['status'] != 'running':
            self.last_exit = state
        if problem is None and self.baseline is not None and restarted(self.baseline, state):
            problem = 'restarted'
        if problem or not ok:
            self.baseline = None
        elif self.baseline is None:
            self.baseline = state
        return problem

    @property
    def restarts_seen(self):
        """Restarts during the watch: new start times seen, or RestartCount's increase when more."""
        if self.first is None:
            return 0
        counted = (self.last['restart_count'] or 0) - (self.first['restart_count'] or 0)
        return max(self.starts_seen, counted)

    def report(self):
        """The last state read (after at least one attempt), with ``restarts_seen`` and the last exit seen."""
        last_exit = self.last_exit or {}
        return dict(self.last, restarts_seen=self.restarts_seen, last_exit_code=last_exit.get('exit_code'),
                    last_exit_oom_killed=last_exit.get('oom_killed'))

    def describe(self, name):
        """One clause for a message: 'container X restarted 3 times, last exit code 1'."""
        restarts = self.restarts_seen
        if restarts:
            text = 'container %s restarted %d time%s' % (name, restarts, '' if restarts == 1 else 's')
        elif self.last['status'] == 'missing':
            text = 'container %s not found' % name
        else:
            text = 'container %s %s' % (name, state_problem(self.last) or 'running, not restarted')
        if self.last_exit is not None and (restarts or not state_problem(self.last)):
            text += ', last exit code %s' % _exit_text(self.last_exit)
        return text


def last_log_line(lines, limit=LOG_LINE_LIMIT):
    """The last non-empty log line on one line, cut to ``limit`` characters; None when there is none."""
    for line in reversed(lines or []):
        text = ' '.join(line.split())
        if text:
            return text if len(text) <= limit else text[:limit - 3] + '...'
    return None


def not_ready_message(url, budget, last_answer, waited, successes, stable_for,
                      container=None, log_line=None):
    """One line: what was probed, how long, the last answer, how far the streak got, the container's story."""
    if stable_for:
        streak = '%d consecutive successes over %gs, need %d over %gs' % (
            waited['consecutive'], waited['streak_seconds'], successes, stable_for)
    else:
        streak = '%d of %d consecutive successes' % (waited['consecutive'], successes)
    message = '%s not ready after %gs: last answer %s; %s' % (url, budget, last_answer, streak)
    if container:
        message += '; ' + container
    if log_line:
        message += '; log tail: ' + log_line
    return message
