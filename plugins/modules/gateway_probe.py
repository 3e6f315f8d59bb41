#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: gateway_probe
short_description: Wait until a Document Server answers its health check several times in a row
version_added: 0.1.0
description:
  - Polls C(<url>/healthcheck) until it answers HTTP 200 with the body V(true) O(successes)
    times in a row, within O(budget) seconds. Any other answer (a 502 from an nginx whose
    upstream is not listening yet, V(false) when a dependency is down, a refused or timed-out
    connection) resets the count and is retried.
  - Several successes are required because the Document Server restarts its docservice after
    regenerating fonts on first start, so the health check can go 502, V(true), 502, V(true).
  - Each attempt is timed (connect, TLS handshake, first byte, total); the answers are returned
    as a compact history so the start-up sequence can be read afterwards.
  - When the budget runs out the module returns RV(ready=false) and does not fail, unless
    O(fail_when_not_ready=true). Run it in chunks of a few seconds under C(until)/C(retries)
    to keep progress visible during a long start.
  - The probe talks to the address in O(url) directly; proxy environment variables are not used.
author:
  - docops.onlyoffice maintainers (@docops)
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
    description: Number of consecutive healthy answers required.
    type: int
    default: 3
  budget:
    description:
      - Seconds to wait in this run. No attempt starts after the budget, and each request's
        timeout is shortened to what is left of it.
    type: float
    default: 10
  interval:
    description: Seconds between the starts of two attempts.
    type: float
    default: 0.2
  timeout:
    description: Timeout in seconds for each network operation of one request.
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
    type: dict
    default: {}
  fail_when_not_ready:
    description: Fail, with the last answer in the message, when the budget ends before readiness.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The module only reads; it probes in check mode too.
  diff_mode:
    support: none
    description: Nothing changes, so there is no difference to show.
notes:
  - The module never changes anything and always returns C(changed=false).
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

- name: Probe the gateway by address under its public name, and fail if it is not ready
  docops.onlyoffice.gateway_probe:
    url: https://127.0.0.1
    headers:
      Host: office.example.test
    ca_path: /etc/ssl/certs/office-ca.pem
    successes: 5
    budget: 30
    fail_when_not_ready: true
"""

RETURN = r"""
url:
  description: The health check URL probed.
  returned: when the parameters are valid
  type: str
  sample: http://127.0.0.1:8080/healthcheck
ready:
  description: Whether O(successes) consecutive healthy answers arrived within the budget.
  returned: when the parameters are valid
  type: bool
attempts:
  description: Number of requests sent.
  returned: when the parameters are valid
  type: int
  sample: 18
failures:
  description: Number of attempts that did not get a healthy answer.
  returned: when the parameters are valid
  type: int
  sample: 15
consecutive:
  description: Healthy answers in a row at the end of the run.
  returned: when the parameters are valid
  type: int
  sample: 3
elapsed:
  description: Seconds spent waiting.
  returned: when the parameters are valid
  type: float
  sample: 3.41
history:
  description:
    - The answers in order; consecutive identical answers are merged into one entry.
    - An answer is V(true), V(false), an HTTP status such as V(502), or an error kind such as V(refused).
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
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.docops.onlyoffice.plugins.module_utils import _probe, _readiness

HEALTHCHECK_PATH = "/healthcheck"
# Even at the very end of the budget a request gets this long, or it could never succeed.
MIN_REQUEST_TIMEOUT = 0.1


def parameter_problem(params):
    """One line naming the first bad parameter, or None."""
    try:
        _probe.split_url(params["url"])
    except ValueError as exc:
        return "url: %s" % exc
    for name, low, inclusive in (("successes", 1, True), ("budget", 0, False),
                                 ("interval", 0, False), ("timeout", 0, False)):
        value = params[name]
        if value < low or (value == low and not inclusive):
            return "%s must be %s %s, got %s" % (name, ">=" if inclusive else ">", low, value)
    if params["ca_path"] and not os.path.isfile(params["ca_path"]):
        return "ca_path: %s is not a file" % params["ca_path"]
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            successes=dict(type="int", default=3),
            budget=dict(type="float", default=10),
            interval=dict(type="float", default=0.2),
            timeout=dict(type="float", default=5),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            headers=dict(type="dict", default={}),
            fail_when_not_ready=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problem = parameter_problem(params)
    if problem:
        module.fail_json(msg=problem)

    deadline = time.monotonic() + params["budget"]
    last = {}

    def check():
        remaining = deadline - time.monotonic()
        last.clear()
        last.update(_probe.probe(
            params["url"], HEALTHCHECK_PATH, headers=params["headers"],
            timeout=max(MIN_REQUEST_TIMEOUT, min(params["timeout"], remaining)),
            validate_certs=params["validate_certs"], ca_path=params["ca_path"]))
        return _probe.healthcheck_verdict(last)

    waited = _readiness.wait(check, successes=params["successes"], budget=params["budget"],
                             interval=params["interval"])
    result = dict(waited, changed=False, url=last["url"], last=last)
    if not waited["ready"] and params["fail_when_not_ready"]:
        # The budget, not the elapsed time: the last attempt starts up to one interval before its end.
        module.fail_json(msg="%s not ready after %gs: last answer %s; %d of %d consecutive successes" % (
            last["url"], params["budget"], _probe.describe(last), waited["consecutive"],
            params["successes"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
