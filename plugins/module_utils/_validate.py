# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parameter checks shared by every module, run before anything changes.

Ansible's ``type: float`` accepts ``nan`` and ``inf`` and ``type: int`` accepts ``1e30``:
each numeric parameter therefore gets a documented range, and a value outside it (or not
finite) is one line naming the parameter. Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math


class Range:
    """An allowed range for a number: LOW < value (or <=) and value <= HIGH."""

    def __init__(self, low, high, low_inclusive=True):
        self.low = low
        self.high = high
        self.low_inclusive = low_inclusive

    def describe(self):
        return '%s %s and <= %s' % ('>=' if self.low_inclusive else '>', _show(self.low), _show(self.high))

    def problem(self, name, value):
        """One line naming NAME when VALUE is not a finite number inside the range, else None."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return '%s must be a number, got %r' % (name, value)
        if isinstance(value, float) and not math.isfinite(value):
            return '%s must be a finite number, got %s' % (name, value)
        too_low = value < self.low or (value == self.low and not self.low_inclusive)
        if too_low or value > self.high:
            return '%s must be %s, got %s' % (name, self.describe(), _show(value))
        return None


def _show(number):
    return '%g' % number if isinstance(number, float) else str(number)


def number_problems(params, ranges):
    """Yield a one-line problem for each PARAMS[name] (when set) outside RANGES[name].

    ``name`` may be dotted (``healthcheck.retries``) to reach into a sub-dict; a list of
    dicts on the way is checked item by item (``published_ports[1].host_port``).
    """
    for name, allowed in ranges.items():
        for shown, value in _values(params, name.split('.')):
            if value is not None:
                problem = allowed.problem(shown, value)
                if problem:
                    yield problem


def _values(params, path, shown=''):
    if params is None:
        return
    head, rest = path[0], path[1:]
    label = head if not shown else shown + '.' + head
    value = params.get(head)
    if not rest:
        yield label, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, rest, '%s[%d]' % (label, index))
    else:
        yield from _values(value, rest, label)


def first_number_problem(params, ranges):
    """The first problem of ``number_problems``, or None."""
    return next(iter(number_problems(params, ranges)), None)


def header_problem(name, headers):
    """One line when a header name or value of the dict HEADERS could split the request, else None."""
    for key, value in (headers or {}).items():
        for text in (key, value):
            if any(char in str(text) for char in "\r\n\0"):
                return '%s: header %r has a line break or NUL character, which would split the request' % (name, key)
    return None
