#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: gateway_probe
short_description: Wait until a Document Server answers its health check several times in a row, then check it and report
version_added: 0.1.0
description:
  - Polls C(<url>/healthcheck) until it answers HTTP 200 with the body V(true) O(successes)
    times in a row, within O(budget) seconds. Any other answer (a 502 from an nginx whose
    upstream is not listening yet, V(false) when a dependency is down, a refused or timed-out
    connection) resets the streak and is retried.
  - Several successes are required because the Document Server restarts its docservice after
    regenerating fonts on first start, so the health check can go 502, V(true), 502, V(true).
  - Ready means stable. With O(stable_for), the streak of successes must also last that many
    seconds, so a server that crashes a few seconds after its first healthy answers (and is
    restarted by its restart policy, again and again) is not ready. With O(container), each
    attempt also reads the container's state, and an attempt fails when the container is not
    running or has restarted since the first success of the streak, even if the HTTP answer
    was healthy.
  - Each attempt is timed (connect, TLS handshake, first byte, total); the answers are returned
    as a compact history so the start-up sequence can be read afterwards.
  - When the budget runs out the module returns RV(ready=false) and does not fail, unless
    O(fail_when_not_ready=true). Run it in chunks of a few seconds under C(until)/C(retries)
    to keep progress visible during a long start; each chunk must be longer than O(stable_for),
    since a streak does not carry over from one run to the next.
  - After the wait, the O(checks) and O(user_checks) run once, all at the same time (K checks take about
    one round trip, not K), each with the short O(check_timeout), so that a hung upstream is diagnosed in
    seconds. They run even when the server is not ready, so that the failures are reported. Any 5xx
    answer fails a check; an answer marked by our gateway (header C(X-Docops-Gateway-Error)) says the
    gateway made it itself (RV(checks[].layer_hint=gateway)).
  - The results are returned in RV(checks), and written as JSON (O(report_json)) and JUnit XML
    (O(report_junit)) where the module runs, together with check results of earlier runs (O(report_extra)).
  - The probe talks to the address in O(url) directly; proxy environment variables are not used.
  - Every number is checked before anything happens; a value that is not finite or is outside
    the range given for its option fails with a message naming the option.
author:
  - docops.onlyoffice maintainers (@docops)
extends_documentation_fragment:
  - docops.onlyoffice.docker.prefixed
options:
  url:
    description:
      - Base URL of the Document Server, as seen from where the module runs, for example
        V(http://127.0.0.1:8080) (the container) or V(https://office.example.test) (the gateway).
      - May carry a path prefix (V(https://example.test/ds-vpath)); C(/healthcheck) is appended.
      - The host may be a name, an IPv4 address or an IPv6 address in brackets.
    type: str
    required: true
  successes:
    description:
      - Number of consecutive healthy answers required, from 1 to 1000.
    type: int
    default: 3
  stable_for:
    description:
      - Seconds the streak of healthy answers must span, from the first of them to the latest,
        from 0 to 3600 and shorter than O(budget). V(0) asks for O(successes) only.
      - Readiness then takes at least this long in every run, even for a server that has been
        healthy for hours.
    type: float
    default: 0
  budget:
    description:
      - Seconds to wait in this run, more than 0 and at most 3600. No attempt starts after the
        budget, and each request's timeout is shortened to what is left of it.
    type: float
    default: 10
  interval:
    description:
      - Seconds between the starts of two attempts, more than 0 and at most 60.
    type: float
    default: 0.2
  timeout:
    description:
      - Timeout in seconds for each network operation of one request, more than 0 and at most 300.
    type: float
    default: 5
  validate_certs:
    description: Verify the server's TLS certificate and name (https only).
    type: bool
    default: true
  ca_path:
    description: PEM file of CA certificates to verify the server with, instead of the system ones.
    type: path
  headers:
    description:
      - Extra request headers, for example C(Host) or C(X-Forwarded-Proto).
      - A C(Host) header also sets the TLS server name (SNI and the name checked in the
        certificate), so a gateway can be probed by address under its public name.
      - Names and values with a line break or a NUL character are refused.
    type: dict
    default: {}
  fail_when_not_ready:
    description:
      - Fail when the budget ends before readiness, with the last answer in the message and,
        with O(container), how often the container restarted, its last exit code and the last
        line of its log.
    type: bool
    default: false
  container:
    description:
      - Name or ID of the Document Server's Docker container on the engine given by
        O(docker_host) (by default the one on the host where the module runs).
      - Each attempt also reads the container's state. The attempt fails, and the streak
        starts again, when the container is not running (observation V(exited 1),
        V(restarting (exit 1\)), V(not running (paused\))) or when it restarted since the first
        success of the streak (observation V(restarted)).
      - The module fails at once when there is no such container.
      - Needs the Docker SDK for Python on the target; without this option it is not used.
    type: str
  label:
    description:
      - A short name for where this probe looks from, such as V(container), V(gateway) or V(public).
      - Each check result carries it in RV(checks[].label), failure messages name it, and the JUnit report
        groups the checks by it, so that the same check probed from several places can be told apart.
    type: str
  checks:
    description:
      - Built-in checks to run after the readiness wait, all at once.
      - V(healthcheck) - C(/healthcheck) answers HTTP 200 with the body V(true).
      - V(api_js) - C(/web-apps/apps/api/documents/api.js), the editors' API script, answers HTTP 200 with a
        JavaScript C(Content-Type).
      - V(baseurl) - C(/baseurl) answers O(expected_baseurl), which proves the proxy's C(X-Forwarded-Proto),
        C(X-Forwarded-Host) and C(X-Forwarded-Prefix) headers. Needs O(expected_baseurl).
      - V(websocket) - a WebSocket upgrade on C(/doc/<key>/c/?EIO=4&transport=websocket) answers 101 with the
        right C(Sec-WebSocket-Accept) and the engine.io open frame C(0{"sid":...}).
      - V(command_version) - CommandService (C(POST /coauthoring/CommandService.ashx)) with C({"c":"version"})
        and an HS256 JSON Web Token signed with O(jwt_secret), sent both in the O(jwt_header) header
        (C(Bearer <token>)) and as C(token) in the body, answers JSON error 0. Error 6 means the secret is
        not the server's; error 7 an expired token (the token is valid 5 minutes, so clocks that differ
        more than that). Needs O(jwt_secret).
      - V(private_paths) - none of O(private_paths) is public; each must answer, with neither a 2xx nor a
        5xx (403 and 404 pass).
      - V(tls) - O(url) is https and its certificate is valid for the name (the C(Host) header of O(headers),
        else the host of O(url)), verified against O(ca_path) or the system's CAs even with
        O(validate_certs=false), and expires in O(tls_min_days) days or later; the protocol version is
        reported. Needs an https O(url).
    type: list
    elements: str
    choices: [healthcheck, api_js, baseurl, websocket, command_version, private_paths, tls]
    default: []
  user_checks:
    description:
      - Checks of your own, run at the same time as O(checks). Each passes when the answer has the
        O(user_checks[].status), and its body matches O(user_checks[].body_regex) and O(user_checks[].json_query)
        when they are given.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the check in the results and the reports; unique, and not the name of a built-in check.
        type: str
        required: true
      path:
        description: Path under O(url), starting with C(/), with the query string if any.
        type: str
        required: true
      method:
        description: HTTP method.
        type: str
        default: GET
      headers:
        description: Request headers, added to O(headers) (a header of the same name replaces the module's).
        type: dict
        default: {}
      body:
        description: Request body.
        type: str
      status:
        description: The HTTP status expected, from 100 to 599.
        type: int
        default: 200
      body_regex:
        description: A Python regular expression that must match somewhere in the body (C(re.search)).
        type: str
      json_query:
        description:
          - A JMESPath expression evaluated on the body parsed as JSON (the first MB of it); the check passes
            when the result is true as JMESPath counts it (anything but V(false), V(null), an empty string,
            list or object; V(0) is true), for example C(error == `0`).
          - Needs the Python library C(jmespath) where the module runs.
        type: str
  expected_baseurl:
    description:
      - The public URL the Document Server must compute for itself, for the V(baseurl) check, for example
        V(https://office.example.test) or V(https://example.test/ds-vpath). A trailing slash is ignored.
    type: str
  jwt_secret:
    description:
      - The Document Server's JWT secret (its E(JWT_SECRET)), to sign the V(command_version) check's token.
      - Never shown in the output, nor returned.
    type: str
  jwt_header:
    description: The header that carries the token (the Document Server's E(JWT_HEADER)).
    type: str
    default: Authorization
  private_paths:
    description:
      - Paths that must not be public, for the V(private_paths) check. The Document Server's example app and
        admin panel answer 502 behind its own nginx when they are not started, so the check fails on the
        container itself; the gateway must answer 404 for them.
    type: list
    elements: str
    default: [/example/, /admin/]
  tls_min_days:
    description: Days the certificate must still be valid for the V(tls) check, from 0 to 3650.
    type: int
    default: 14
  check_timeout:
    description:
      - Timeout in seconds for each network operation of a check, more than 0 and at most 60. Short, so that
        an upstream that hangs fails its checks in seconds (the gateway itself may wait a minute before its 504).
    type: float
    default: 3
  report_json:
    description:
      - Write the report as JSON to this file where the module runs (delegate the task to C(localhost) to get
        it on the controller). The directory must exist; the file is replaced atomically.
      - The report holds O(report_extra) and this run's checks, their totals, O(url), O(label) and RV(ready).
    type: path
  report_junit:
    description:
      - Write the report as JUnit XML to this file where the module runs, for CI systems, with one test suite
        per O(label), one test case per check, a failure element with the detail for each failed check.
    type: path
  report_extra:
    description:
      - Check results of earlier runs (RV(checks) of a registered result, for example the probes run on the
        target) to put in the reports before this run's checks. Each needs at least C(name) and C(passed).
      - They do not change RV(checks) nor RV(checks_passed).
    type: list
    elements: dict
    default: []
  fail_when_checks_fail:
    description: Fail when a check of this run fails, with one line naming the failed checks and why.
    type: bool
    default: false
requirements:
  - With O(user_checks[].json_query) only, the Python library C(jmespath) where the module runs (Debian's
    C(python3-jmespath)).
  - With O(container) only, the Docker SDK for Python 5.0.3 or newer on the target (Debian 12's
    C(python3-docker) is enough).
attributes:
  check_mode:
    support: full
    description: The module probes in check mode too; only the report files are not written (a warning says so).
  diff_mode:
    support: none
    description: Nothing changes, so there is no difference to show.
notes:
  - The module never changes the server and always returns C(changed=false); writing the report files is
    its only effect.
  - The Docker connection options are those of the other modules of this collection with a
    C(docker_) prefix, because O(ca_path) and O(timeout) already belong to the HTTP probe.
  - Reading the container's state usually needs root; run the task with C(become=true) when
    O(container) is set.
"""

EXAMPLES = r"""
- name: Wait for the container, 2 minutes at most, showing progress every 10 seconds
  docops.onlyoffice.gateway_probe:
    url: http://127.0.0.1:8080
    budget: 10
  register: documentserver_ready
  until: documentserver_ready.ready
  retries: 11  # 12 runs of 10 s
  delay: 0

- name: Ready means up for 10 seconds without a restart of the container
  docops.onlyoffice.gateway_probe:
    url: http://127.0.0.1:8080
    container: onlyoffice-documentserver
    stable_for: 10
    budget: 30
    fail_when_not_ready: true
  become: true

- name: Probe the gateway by address under its public name, and fail if it is not ready
  docops.onlyoffice.gateway_probe:
    url: https://127.0.0.1
    headers:
      Host: office.example.test
    ca_path: /etc/ssl/certs/office-ca.pem
    successes: 5
    budget: 30
    fail_when_not_ready: true

- name: On the server, the container's health check, for the report
  docops.onlyoffice.gateway_probe:
    url: http://127.0.0.1:8080
    label: container
    checks: [healthcheck, websocket]
  register: from_the_server

- name: From the controller, the public URL, every check, with JSON and JUnit reports on the controller
  docops.onlyoffice.gateway_probe:
    url: https://office.example.test
    label: public
    successes: 1
    checks: [healthcheck, api_js, baseurl, websocket, command_version, private_paths, tls]
    expected_baseurl: https://office.example.test
    jwt_secret: "{{ documentserver_jwt_secret }}"
    tls_min_days: 21
    user_checks:
      - name: welcome page
        path: /welcome/
        body_regex: ONLYOFFICE
      - name: info is not public
        path: /info/info.json
        status: 404
      - name: command service version 9
        path: /coauthoring/CommandService.ashx
        method: POST
        body: '{"c": "version"}'
        headers:
          Content-Type: application/json
        json_query: error == `6` || starts_with(version, '9.')
    report_json: reports/verify.json
    report_junit: reports/verify.xml
    report_extra: "{{ from_the_server.checks }}"
    fail_when_checks_fail: true
  delegate_to: localhost
"""

RETURN = r"""
url:
  description: The health check URL probed.
  returned: when the parameters are valid
  type: str
  sample: http://127.0.0.1:8080/healthcheck
ready:
  description:
    - Whether O(successes) consecutive healthy answers, spanning at least O(stable_for) seconds,
      arrived within the budget.
  returned: when the parameters are valid
  type: bool
attempts:
  description: Number of requests sent.
  returned: when the parameters are valid
  type: int
  sample: 18
failures:
  description: Number of attempts that did not get a healthy answer (or found the container not running or restarted).
  returned: when the parameters are valid
  type: int
  sample: 15
consecutive:
  description: Healthy answers in a row at the end of the run.
  returned: when the parameters are valid
  type: int
  sample: 3
streak_seconds:
  description: Seconds from the first to the latest of the healthy answers in a row at the end of the run.
  returned: when the parameters are valid
  type: float
  sample: 10.2
elapsed:
  description: Seconds spent waiting.
  returned: when the parameters are valid
  type: float
  sample: 3.41
history:
  description:
    - The answers in order; consecutive identical answers are merged into one entry.
    - An answer is V(true), V(false), an HTTP status such as V(502), or an error kind such as V(refused).
    - With O(container), an attempt that found the container not running or restarted shows that
      instead, for example V(exited 1), V(restarting (exit 1\)), V(restarted) or V(no container).
  returned: when the parameters are valid
  type: list
  elements: dict
  sample:
    - {obs: "502", count: 14, first: 0.0, last: 2.6}
    - {obs: "true", count: 1, first: 2.8, last: 2.8}
    - {obs: "502", count: 2, first: 3.0, last: 3.2}
    - {obs: "true", count: 3, first: 3.4, last: 3.8}
  contains:
    obs:
      description: The answer.
      type: str
    count:
      description: How many attempts in a row got it.
      type: int
    first:
      description: Seconds since the start when the first of these attempts began.
      type: float
    last:
      description: Seconds since the start when the last of these attempts began.
      type: float
last:
  description: The last request and its answer.
  returned: when the parameters are valid
  type: dict
  contains:
    url:
      description: The URL requested.
      type: str
    status:
      description: HTTP status, or V(null) when no answer arrived.
      type: int
    reason:
      description: HTTP reason phrase.
      type: str
    headers:
      description: Response headers, names in lower case.
      type: dict
    body:
      description: The first 4 KB of the body.
      type: str
    error_kind:
      description:
        - Why there was no complete answer, or V(null).
        - One of V(refused), V(timeout), V(reset), V(tls), V(dns), V(other).
      type: str
    error:
      description: One line naming the step that failed and the error.
      type: str
      sample: "connect: [Errno 111] Connection refused"
    phase:
      description: Step that failed, one of V(connect), V(tls), V(request), V(response), V(body); V(null) on success.
      type: str
    timings:
      description: Seconds from the start of the request until each step ended.
      type: dict
      sample: {connect: 0.0004, tls: null, first_byte: 0.0021, total: 0.0023}
container:
  description: The container's state at the last attempt, and how often it restarted during the run.
  returned: when O(container) is set and the parameters are valid
  type: dict
  sample:
    status: restarting
    running: true
    restarting: true
    exit_code: 1
    oom_killed: false
    restart_count: 7
    started_at: "2026-11-23T10:15:02.123456789Z"
    restarts_seen: 5
  contains:
    status:
      description: Docker's status, such as V(running), V(restarting) or V(exited); V(missing) when the container was removed during the run.
      type: str
    running:
      description: Docker's Running flag (also true while a restart is pending).
      type: bool
    restarting:
      description: Whether the restart policy is about to start the container again.
      type: bool
    exit_code:
      description: Exit code of the last run; Docker sets it to 0 while the container runs.
      type: int
    oom_killed:
      description: Whether the kernel killed the last run for lack of memory (not every engine reports it).
      type: bool
    restart_count:
      description: Docker's count of restarts by the restart policy since the container was created.
      type: int
    started_at:
      description: When the current (or last) run started.
      type: str
    restarts_seen:
      description:
        - Restarts during this run of the module, by the restart policy or otherwise (a new start
          time, or the increase of RV(container.restart_count) when that is more).
      type: int
    last_exit_code:
      description:
        - Exit code of the last stop seen during this run (a crash before a restart), or V(null) when none was seen.
          RV(container.exit_code) is Docker's current value, which a restart resets.
      type: int
    last_exit_oom_killed:
      description: Whether the kernel killed the container for lack of memory at that last stop, or V(null).
      type: bool
checks:
  description: The result of each check of O(checks) then O(user_checks), in that order.
  returned: when the parameters are valid
  type: list
  elements: dict
  sample:
    - name: command_version
      label: public
      url: https://office.example.test/coauthoring/CommandService.ashx
      passed: false
      status: 200
      detail: "CommandService answered error 6 (token rejected: jwt_secret is not the JWT secret of the Document Server ...)"
      timing: {connect: 0.0011, tls: 0.0094, first_byte: 0.0132, total: 0.0133}
      layer_hint: null
      gateway_error: null
    - name: healthcheck
      label: public
      url: https://office.example.test/healthcheck
      passed: false
      status: 502
      detail: "expected HTTP 200 \"true\"; got HTTP 502 marked by the gateway (upstream=127.0.0.1:8080 status=502)"
      timing: {connect: 0.0009, tls: 0.0081, first_byte: 0.0107, total: 0.0108}
      layer_hint: gateway
      gateway_error: {upstream: "127.0.0.1:8080", status: "502"}
  contains:
    name:
      description: The check, V(healthcheck), V(api_js)... or the name of a user check.
      type: str
    label:
      description: O(label), or V(null).
      type: str
    url:
      description: The URL requested (for V(private_paths), the one that failed, else the slowest).
      type: str
    passed:
      description: Whether the check passed.
      type: bool
    status:
      description: HTTP status of the answer, or V(null) when none came (and for V(tls)).
      type: int
    detail:
      description: One line; for a failure, what was expected and what came.
      type: str
    timing:
      description: Seconds from the start of the request until the connection, the TLS handshake, the first
        byte of the answer and its end; V(null) for a step not reached.
      type: dict
    layer_hint:
      description:
        - V(gateway) when the answer carried our gateway's marker C(X-Docops-Gateway-Error) (the gateway made
          it because it could not connect, or got no answer in time), V(upstream) for a 5xx without the marker (it
          came from behind the gateway, or there is no gateway of ours), else V(null).
      type: str
    gateway_error:
      description:
        - The marker C(X-Docops-Gateway-Error) of our gateway, parsed, or V(null) without one.
        - C(upstream) is the address or addresses the gateway tried (nginx C($upstream_addr)), C(status) what
          they answered (C($upstream_status), V(-) for none). C(raw) holds a marker that did not parse.
      type: dict
    error_kind:
      description: Why no complete answer came - V(refused), V(timeout), V(reset), V(tls), V(dns), V(other) - or V(null).
      type: str
    error:
      description: The step that failed and the error, on one line, or V(null).
      type: str
    body:
      description: The start of the answer's body, on one line (200 characters at most).
      type: str
checks_passed:
  description: Whether every check of this run passed (true when there were none).
  returned: when the parameters are valid
  type: bool
checks_seconds:
  description: Wall time in seconds of all the checks, run at the same time.
  returned: when the parameters are valid
  type: float
  sample: 0.021
reports:
  description: The report files written (none in check mode).
  returned: when the parameters are valid
  type: list
  elements: str
  sample: [reports/verify.json, reports/verify.xml]
logs:
  description: The last 20 lines of the container's log (stdout and stderr), oldest first.
  returned: when O(container) is set and the container is not ready
  type: list
  elements: str
  sample:
    - "[2026-11-23T10:15:05.002] [FATAL] [localhost] [docId] [userId] nodeJS - uncaughtException: Error: simulated crash"
"""

import os
import time

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.docops.onlyoffice.plugins.module_utils._ansible_module import ansible_module

from ansible_collections.docops.onlyoffice.plugins.module_utils import _checks, _docker, _probe, _readiness, _reports
from ansible_collections.docops.onlyoffice.plugins.module_utils._validate import (
    Range,
    first_number_problem,
    header_problem,
)

HEALTHCHECK_PATH = '/healthcheck'
# Even at the very end of the budget a request gets this long, or it could never succeed.
MIN_REQUEST_TIMEOUT = 0.1
LOG_TAIL_LINES = 20
RANGES = {
    'successes': Range(1, 1000),
    'stable_for': Range(0, 3600),
    'budget': Range(0, 3600, low_inclusive=False),
    'interval': Range(0, 60, low_inclusive=False),
    'timeout': Range(0, 300, low_inclusive=False),
    'docker_timeout': _docker.TIMEOUT_RANGE,
}


def _docker_option(name):
    """Our name of a shared Docker connection option: ca_path and timeout already belong to the probe."""
    return name if name.startswith('docker_') else 'docker_' + name


def argument_spec():
    spec = dict((_docker_option(name), option) for name, option in _docker.docker_argument_spec().items())
    spec.update(
        url=dict(type='str', required=True),
        successes=dict(type='int', default=3),
        stable_for=dict(type='float', default=0),
        budget=dict(type='float', default=10),
        interval=dict(type='float', default=0.2),
        timeout=dict(type='float', default=5),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        headers=dict(type='dict', default={}),
        fail_when_not_ready=dict(type='bool', default=False),
        container=dict(type='str'),
        label=dict(type='str'),
        checks=dict(type='list', elements='str', default=[], choices=list(_checks.BUILTIN)),
        user_checks=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            path=dict(type='str', required=True),
            method=dict(type='str', default='GET'),
            headers=dict(type='dict', default={}),
            body=dict(type='str'),
            status=dict(type='int', default=200),
            body_regex=dict(type='str'),
            json_query=dict(type='str'),
        )),
        expected_baseurl=dict(type='str'),
        jwt_secret=dict(type='str', no_log=True),
        jwt_header=dict(type='str', default='Authorization'),
        private_paths=dict(type='list', elements='str', default=['/example/', '/admin/']),
        tls_min_days=dict(type='int', default=14),
        check_timeout=dict(type='float', default=3),
        report_json=dict(type='path'),
        report_junit=dict(type='path'),
        report_extra=dict(type='list', elements='dict', default=[]),
        fail_when_checks_fail=dict(type='bool', default=False),
    )
    return spec


REPORTS = (('report_json', _reports.render_json), ('report_junit', _reports.render_junit))


def parameter_problem(params):
    """One line naming the first bad parameter, or None."""
    try:
        _probe.split_url(params['url'])
    except ValueError as exc:
        return 'url: %s' % exc
    problem = first_number_problem(params, RANGES) or header_problem('headers', params['headers'])
    if problem:
        return problem
    if params['stable_for'] >= params['budget']:
        return ('stable_for (%gs) must be shorter than budget (%gs): the streak of healthy answers must fit '
                'inside one run; raise budget or lower stable_for' % (params['stable_for'], params['budget']))
    if params['ca_path'] and not os.path.isfile(params['ca_path']):
        return 'ca_path: %s is not a file' % params['ca_path']
    if params['container'] is not None and not params['container'].strip():
        return 'container: give the name of a Docker container, or leave the option out'
    problem = _checks.parameter_problem(params, _probe.split_url(params['url'])[0])
    for name, _render in REPORTS:
        problem = problem or _reports.path_problem(name, params[name])
    return problem or _reports.extra_problem(params['report_extra'])


def write_reports(module, result, waited):
    """Write the report files asked for (not in check mode); their paths, or fail with one line."""
    params = module.params
    wanted = [(name, params[name], render) for name, render in REPORTS if params[name]]
    if wanted and module.check_mode:
        module.warn('check mode: the reports were not written (%s)' % ', '.join(path for _name, path, _r in wanted))
        return []
    if not wanted:
        return []
    report = _reports.build(result['checks'], params['report_extra'], params['url'], params['label'],
                            waited['ready'], result['checks_seconds'], time.time())
    written = []
    for name, path, render in wanted:
        try:
            _reports.write(path, render(report))
        except OSError as exc:
            module.fail_json(msg='%s: cannot write %s: %s' % (name, path, _checks.one_line(exc)), **result)
        written.append(path)
    return written


class ContainerReader:
    """Reads one container through the Docker engine; Docker errors become a ModuleFailure."""

    def __init__(self, params):
        self.name = params['container']
        self.docker_host = params['docker_host']
        self.client = _docker.get_client(dict((name, params[_docker_option(name)])
                                              for name in _docker.docker_argument_spec()))

    def state(self):
        with _docker.docker_errors(self.docker_host, 'inspect container %s' % self.name):
            return _readiness.container_state(_docker.inspect_container(self.client, self.name))

    def log_tail(self):
        """The last lines of the log; [] when the container is gone."""
        with _docker.docker_errors(self.docker_host, 'read the log of container %s' % self.name):
            try:
                return _docker.log_tail(self.client, self.name, LOG_TAIL_LINES)
            except _docker.NotFound:
                return []


def connect(module):
    """A ContainerReader for the container option, once the container is known to exist; else fail."""
    params = module.params
    if not _docker.HAS_DOCKER:
        module.fail_json(msg=missing_required_lib(_docker.DOCKER_SDK_REQUIREMENT), exception=_docker.DOCKER_IMPORT_ERROR)
    try:
        reader = ContainerReader(params)
        missing = reader.state()['status'] == 'missing'
    except (_docker.DockerException, _docker.RequestException) as exc:
        module.fail_json(msg=_docker.describe_error(exc, params['docker_host'], 'connect to the Docker engine'))
    except _docker.ModuleFailure as exc:
        module.fail_json(msg=exc.msg)
    if missing:
        module.fail_json(msg='container: no container named %s on the Docker engine at %s; check the name '
                             '(docker ps -a)' % (params['container'], params['docker_host']))
    return reader


def main():
    module = ansible_module(
        argument_spec(),
        supports_check_mode=True,
        required_together=[('docker_client_cert', 'docker_client_key')],
    )
    params = module.params
    problem = parameter_problem(params)
    try:
        queries = None if problem else _checks.compile_queries(params['user_checks'])
    except ValueError as exc:
        problem = str(exc)
    if problem:
        module.fail_json(msg=problem)
    reader = connect(module) if params['container'] else None
    watch = _readiness.ContainerWatch(reader.state) if reader else None

    deadline = time.monotonic() + params['budget']
    last = {}

    def check():
        remaining = deadline - time.monotonic()
        last.clear()
        last.update(_probe.probe(
            params['url'], HEALTHCHECK_PATH, headers=params['headers'],
            timeout=max(MIN_REQUEST_TIMEOUT, min(params['timeout'], remaining)),
            validate_certs=params['validate_certs'], ca_path=params['ca_path']))
        return _probe.healthcheck_verdict(last)

    try:
        waited = _readiness.wait(watch.watching(check) if watch else check, successes=params['successes'],
                                 budget=params['budget'], interval=params['interval'],
                                 stable_for=params['stable_for'])
        result = dict(waited, changed=False, url=last['url'], last=last)
        if watch:
            result['container'] = watch.report()
            if not waited['ready']:
                result['logs'] = reader.log_tail()
    except _docker.ModuleFailure as exc:
        module.fail_json(msg=exc.msg)

    # Also when not ready: the failed checks say more than "not ready".
    prober = _checks.Prober(params['url'], params['headers'], params['check_timeout'], params['validate_certs'],
                            params['ca_path'])
    checks, seconds = _checks.run(_checks.plan(params, queries, time.time()), prober, label=params['label'])
    result.update(checks=checks, checks_passed=all(item['passed'] for item in checks), checks_seconds=seconds)
    result['reports'] = write_reports(module, result, waited)

    if not waited['ready'] and params['fail_when_not_ready']:
        # The budget, not the elapsed time: the last attempt starts up to one interval before its end.
        module.fail_json(msg=_readiness.not_ready_message(
            last['url'], params['budget'], _probe.describe(last), waited, params['successes'], params['stable_for'],
            watch.describe(params['container']) if watch else None,
            _readiness.last_log_line(result.get('logs'))), **result)
    if not result['checks_passed'] and params['fail_when_checks_fail']:
        module.fail_json(msg=_checks.failure_message(params['url'], checks, params['label']), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
