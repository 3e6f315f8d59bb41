# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The reports of gateway_probe's checks, as JSON and as JUnit XML for CI systems.

Building and rendering are pure (the time is passed in); ``write`` is the only effect. Checks
of earlier runs (``report_extra``: the probes from the target, say) are validated here and
merged before this run's, and each check's ``label`` (where the probe looked from) groups the
JUnit test cases into suites. Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import time
import xml.etree.ElementTree as ET

from ansible_collections.docops.onlyoffice.plugins.module_utils._files import write_atomically

TOOL = 'docops.onlyoffice.gateway_probe'
TIMING_STEPS = ('connect', 'tls', 'first_byte', 'total')
REPORT_MODE = 0o644
# Characters XML 1.0 cannot carry at all, even escaped (control characters from an odd body).
_NOT_XML = re.compile(u'[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _optional(value, kinds):
    return value is None or (isinstance(value, kinds) and not isinstance(value, bool))


def extra_problem(items):
    """One line naming the first item of report_extra that is not a check result, or None."""
    for index, item in enumerate(items or []):
        label = 'report_extra[%d]' % index
        if not isinstance(item, dict):
            return '%s: expected a check result (a dict with name and passed), got %s' % (label, type(item).__name__)
        if not isinstance(item.get('name'), str) or not item['name'].strip():
            return '%s.name: expected the name of a check, got %r' % (label, item.get('name'))
        if not isinstance(item.get('passed'), bool):
            return '%s.passed: expected true or false, got %r' % (label, item.get('passed'))
        if not _optional(item.get('status'), int):
            return '%s.status: expected an HTTP status or null, got %r' % (label, item.get('status'))
        for key in ('detail', 'label', 'url', 'layer_hint'):
            if not _optional(item.get(key), str):
                return '%s.%s: expected text or null, got %r' % (label, key, item.get(key))
        timing = item.get('timing')
        if timing is not None and not (isinstance(timing, dict) and all(
                value is None or _is_number(value) for value in timing.values())):
            return '%s.timing: expected {connect, tls, first_byte, total} in seconds, got %r' % (label, timing)
        if not _optional(item.get('gateway_error'), dict):
            return '%s.gateway_error: expected {upstream, status} or null, got %r' % (label, item.get('gateway_error'))
    return None


def normalised(item):
    """A check result with exactly the keys of one (missing ones None), as plain types."""
    timing = item.get('timing') or {}
    return {
        'name': str(item['name']),
        'label': None if item.get('label') is None else str(item['label']),
        'url': None if item.get('url') is None else str(item['url']),
        'passed': bool(item['passed']),
        'status': item.get('status'),
        'detail': None if item.get('detail') is None else str(item['detail']),
        'timing': dict((step, timing.get(step)) for step in TIMING_STEPS),
        'layer_hint': None if item.get('layer_hint') is None else str(item['layer_hint']),
        'gateway_error': None if item.get('gateway_error') is None else dict(item['gateway_error']),
        'error_kind': None if item.get('error_kind') is None else str(item['error_kind']),
        'error': None if item.get('error') is None else str(item['error']),
    }


def build(checks, extra, url, label, ready, checks_seconds, now):
    """The report: this run's CHECKS after the EXTRA ones of earlier runs, with totals; NOW in epoch seconds."""
    merged = [normalised(item) for item in list(extra or []) + list(checks)]
    failed = [item for item in merged if not item['passed']]
    return {
        'tool': TOOL,
        'generated': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now)),
        'url': url,
        'label': label,
        'ready': ready,
        'passed': not failed,
        'summary': {'checks': len(merged), 'passed': len(merged) - len(failed), 'failed': len(failed)},
        'failed': [item['name'] if not item['label'] else '%s: %s' % (item['label'], item['name']) for item in failed],
        'checks_seconds': checks_seconds,
        'checks': merged,
    }


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=False) + '\n'


def _text(value):
    return _NOT_XML.sub(u'\ufffd', u'%s' % value)


def _seconds(value):
    return '%.4f' % (value or 0.0)


def _case_output(item):
    timing = ' '.join('%s=%s' % (step, '-' if item['timing'][step] is None else _seconds(item['timing'][step]))
                      for step in TIMING_STEPS)
    lines = ['url: %s' % (item['url'] or '-'), 'status: %s' % ('-' if item['status'] is None else item['status']),
             'timing: %s' % timing]
    if item['layer_hint']:
        lines.append('layer: %s' % item['layer_hint'])
    if item['gateway_error']:
        lines.append('gateway error: upstream=%s status=%s' % (
            item['gateway_error'].get('upstream'), item['gateway_error'].get('status')))
    return '\n'.join(lines)


def render_junit(report):
    """JUnit XML: one test suite per label (in order of appearance), one test case per check."""
    suites = {}
    for item in report['checks']:
        suites.setdefault(item['label'] or 'probe', []).append(item)
    root = ET.Element('testsuites', {
        'name': TOOL, 'tests': str(report['summary']['checks']), 'failures': str(report['summary']['failed']),
        'errors': '0', 'time': _seconds(report['checks_seconds'])})
    for name, items in suites.items():
        failures = len([item for item in items if not item['passed']])
        suite = ET.SubElement(root, 'testsuite', {
            'name': _text(name), 'tests': str(len(items)), 'failures': str(failures), 'errors': '0', 'skipped': '0',
            'timestamp': report['generated'],
            'time': _seconds(max([item['timing']['total'] or 0 for item in items] or [0]))})
        if name == (report['label'] or 'probe'):
            properties = ET.SubElement(suite, 'properties')
            ET.SubElement(properties, 'property', {'name': 'url', 'value': _text(report['url'])})
            ET.SubElement(properties, 'property', {'name': 'ready', 'value': 'true' if report['ready'] else 'false'})
        for item in items:
            case = ET.SubElement(suite, 'testcase', {
                'classname': _text('%s.%s' % (TOOL, name)), 'name': _text(item['name']),
                'time': _seconds(item['timing']['total'])})
            if not item['passed']:
                failure = ET.SubElement(case, 'failure', {'message': _text(item['detail'] or 'failed'),
                                                          'type': 'check_failed'})
                failure.text = _text(item['detail'] or 'failed')
            output = ET.SubElement(case, 'system-out')
            output.text = _text((item['detail'] + '\n' if item['detail'] else '') + _case_output(item))
    if hasattr(ET, 'indent'):  # Python 3.9 and later: one element a line, for the people reading it
        ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


def path_problem(name, path):
    """One line when the report file PATH cannot be written (its directory is missing, or it is one), else None."""
    if path is None:
        return None
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return '%s: %s is a directory; give the path of the report file' % (name, path)
    if not os.path.isdir(directory):
        return '%s: the directory %s does not exist where the module runs; create it first' % (name, directory)
    return None


def write(path, text):
    """Write TEXT to PATH atomically (a reader sees the old report or the new one, never a part)."""
    write_atomically(os.path.abspath(path), text.encode('utf-8'), REPORT_MODE)
