#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: gateway_diagnose
short_description: Find why a Document Server behind its gateway fails, on the server, without changing anything
version_added: 0.1.0
description:
  - Gathers on the server what an operator reads by hand when the gateway answers 502 (C(docker ps), C(docker logs),
    C(curl), C(nginx -t), error.log...), then names the cause from the collection's one cause catalogue, with the layer
    that fails (container, docservice, gateway, firewall), the cause, the line of evidence that proves it and the fix,
    in RV(message).
  - Read-only. It runs commands that only read (C(docker inspect), C(docker logs), C(docker exec) of C(cat) on the
    container's C(/proc) files, C(nginx -t), C(nginx -T), C(ss), C(iptables -L), C(nft list)), reads files and sends two
    C(GET /healthcheck) requests. It always returns C(changed=false), in check mode too.
  - The evidence, each piece gathered on its own (one that cannot be gathered is a line in RV(gaps), never a
    failure) - the container's state, health, exit code, restart count, start time, published ports, memory limit,
    open-files limit and its last 50 log lines; the memory cgroup's C(oom_kill) counter (the Docker engine does not
    always set C(State.OOMKilled)); whether docservice listens on port 8000 inside the container; the container's
    published port answering C(/healthcheck) on the server; whether nginx runs, C(nginx -t), the upstreams from
    C(nginx -T) and the error.log lines of the last 5 minutes; whether the gateway's port listens and what the
    gateway answers; Docker's NAT rules; memory, swap and the free space of Docker's root directory; the clock against
    the controller's.
  - When several causes match, the one closest to the root comes first (container before docservice before gateway
    before firewall).
  - Works on a Document Server this collection did not deploy. Without O(container) the container is the one of an
    image whose name contains V(documentserver) (C(onlyoffice/documentserver), C(-ee), C(-de)), or the one published
    on O(published_port).
  - Without the Docker SDK for Python on the server the module uses the C(docker) command instead, and says so in
    RV(gaps).
  - Every number is checked before anything is read; a value that is not finite or is outside the range given for
    its option fails with a message naming the option.
author:
  - docops.onlyoffice maintainers (@docops)
extends_documentation_fragment:
  - docops.onlyoffice.docker.prefixed
options:
  container:
    description:
      - Name or ID of the Document Server's container on the engine of O(docker_host).
      - When not given, the container of an image whose repository name contains V(documentserver), or the one
        published on O(published_port) when there are several (or none of such an image).
      - A container that does not exist is the cause C(container_missing), not a failure of the module.
    type: str
  published_port:
    description:
      - The host port the container's port 80 is published on, from 1 to 65535; the gateway's upstream should be
        this port.
      - Finds the container when O(container) is not given, and chooses which published port is probed.
    type: int
  gateway_url:
    description:
      - The gateway as seen from the server, for example V(https://127.0.0.1); C(/healthcheck) is appended.
      - Its port must listen on the server (cause C(gateway_down) otherwise).
    type: str
    default: http://127.0.0.1
  gateway_headers:
    description:
      - Headers of the request to the gateway, for example C(Host) with the public name (which also sets the TLS
        server name). Names and values with a line break or a NUL character are refused.
    type: dict
    default: {}
  validate_certs:
    description: Verify the gateway's certificate in the request to O(gateway_url).
    type: bool
    default: false
  baseline:
    description:
      - The container's restart count and start time when the documentserver role saw it ready. A different value
        now is a restart in between (cause C(crash_loop)).
    type: dict
    suboptions:
      restart_count:
        description: Docker's C(RestartCount) then, from 0.
        type: int
      started_at:
        description: Docker's C(State.StartedAt) then.
        type: str
  start_budget:
    description:
      - Seconds a Document Server may take to start, from 0 to 86400. Within it a container whose docservice does not
        listen yet is C(starting); after it, C(docservice_down).
    type: float
    default: 300
  controller_time:
    description:
      - The controller's clock (seconds since the epoch) read just before and just after the task, to measure the
        server's clock skew (cause C(clock_skew) beyond 60 seconds).
    type: dict
    suboptions:
      before:
        description: The controller's time before the task.
        type: float
        required: true
      after:
        description: The controller's time after the task (or before it too); not earlier than O(controller_time.before).
        type: float
        required: true
  outside:
    description:
      - What the controller saw, passed into RV(evidence.outside) for the causes that need the outside view
        (C(firewall_blocked), C(tls_error), C(proxy_headers_wrong), C(mixed_scheme), C(jwt_mismatch), C(clock_skew)).
    type: dict
    suboptions:
      answer:
        description:
          - The public URL's answer to C(/healthcheck) from the controller, for example the C(last) result of M(docops.onlyoffice.gateway_probe).
          - Keys kept, the others ignored - C(status) (100 to 599, or null when no answer came), C(error_kind)
            (V(refused), V(timeout)...), C(error), C(body) (strings) and C(headers) (a dict).
        type: dict
      baseurl:
        description: What C(/baseurl) answered through the public URL.
        type: str
      expected_baseurl:
        description: The public URL the Document Server should compute for itself.
        type: str
      websocket_status:
        description: HTTP status of the WebSocket upgrade through the public URL, from 100 to 599.
        type: int
      command_error:
        description: CommandService's C(error) code to a token signed with the JWT secret given, from 0 to 1000.
        type: int
      tls_error:
        description: Why the TLS handshake with the public URL failed.
        type: str
  outside_checks:
    description:
      - The check results of M(docops.onlyoffice.gateway_probe) run from the controller against the public URL (its
        RV(docops.onlyoffice.gateway_probe#module:checks), label V(public) or none), read into RV(evidence.outside) -
        C(healthcheck) gives the answer, C(baseurl) the base URL, C(websocket) the upgrade's status,
        C(command_version) CommandService's error code, a TLS failure the TLS error. What O(outside) gives wins.
    type: list
    elements: dict
    default: []
  since:
    description:
      - Only error.log lines written from this time on (seconds since the epoch, the target's clock) are evidence,
        for example the start of the verification; older lines tell of faults already gone. By default the last
        5 minutes.
    type: float
  timeout:
    description:
      - Timeout in seconds of each network operation of the module's own two requests, more than 0 and at most 60.
        Short, so that a hung upstream is diagnosed in seconds (the gateway itself may wait a minute).
    type: float
    default: 3
requirements:
  - The Docker SDK for Python 5.0.3 or newer on the server (Debian 12's C(python3-docker)), or the C(docker) command.
attributes:
  check_mode:
    support: full
    description: The module only reads, in check mode as otherwise.
  diff_mode:
    support: none
    description: Nothing changes, so there is no difference to show.
notes:
  - Run it with C(become=true) - the Docker socket, the memory cgroup, the firewall rules and nginx's error.log
    usually need root; what cannot be read is named in RV(gaps).
  - The Docker connection options are those of the other modules of this collection with a C(docker_) prefix, as in
    M(docops.onlyoffice.gateway_probe), because O(timeout) belongs to the HTTP requests.
  - Only error.log lines of the last 5 minutes count, so that an old incident is not taken for this one.
  - Docker's NAT rules are checked only while the container runs and publishes a port. A Docker engine configured
    without iptables has no such rules and is reported as C(docker_rules_wiped).
seealso:
  - module: docops.onlyoffice.gateway_probe
"""

EXAMPLES = r"""
- name: Diagnose the Document Server of this server, ours or not
  docops.onlyoffice.gateway_diagnose:
    gateway_url: https://127.0.0.1
    gateway_headers:
      Host: office.example.test
  become: true
  register: diagnosis

- name: Fail with the layer, the cause, the evidence and the fix
  ansible.builtin.fail:
    msg: "{{ diagnosis.message }}"
  when: not diagnosis.healthy

- name: With what the documentserver role and the controller saw
  docops.onlyoffice.gateway_diagnose:
    container: onlyoffice-documentserver
    published_port: 8080
    baseline:
      restart_count: 0
      started_at: "2026-11-22T09:00:00.123456789Z"
    controller_time:
      before: "{{ now(utc=true).timestamp() }}"
      after: "{{ now(utc=true).timestamp() }}"
    outside:
      answer:
        status: 502
      expected_baseurl: https://office.example.test
  become: true
"""

RETURN = r"""
cause:
  description: The id of the first cause (the closest to the root), for example V(docservice_down); V(null) when none matched.
  returned: when the parameters are valid
  type: str
  sample: dependency_unreachable
layer:
  description: The layer of that cause, one of V(container), V(docservice), V(gateway), V(firewall); V(null) when none matched.
  returned: when the parameters are valid
  type: str
  sample: docservice
message:
  description:
    - "One line, C(<status> from <layer>: <cause> — <evidence> — <fix>), where the status is what the controller (else
      the gateway, else the container) answered, or V(no answer)."
    - When no cause matched, a short summary of the healthy state instead.
  returned: when the parameters are valid
  type: str
  sample: >-
    502 from docservice: a dependency (database, broker, cache) is unreachable — [2026-11-22T19:13:46.450] [ERROR]
    [localhost] [docId] [userId] nodeJS - getTableColumns error: Error: connect ECONNREFUSED 127.0.0.1:5432 — check
    that it runs and the connection settings (DB_HOST/DB_PORT, AMQP_URI, REDIS_SERVER_HOST)
healthy:
  description: Whether no cause of the catalogue matched the evidence.
  returned: when the parameters are valid
  type: bool
causes:
  description: Every cause that matched, the closest to the root first.
  returned: when the parameters are valid
  type: list
  elements: dict
  contains:
    id:
      description: The cause's id in the catalogue (the README's cause table).
      type: str
    layer:
      description: The layer that fails.
      type: str
    summary:
      description: What fails, in words.
      type: str
    evidence:
      description: The line of evidence that proves it.
      type: str
    fix:
      description: What to do.
      type: str
gaps:
  description: Evidence that could not be gathered and why, one line each.
  returned: when the parameters are valid
  type: list
  elements: str
  sample:
    - "Docker SDK for Python missing: used the docker CLI"
    - "nginx not installed: no nginx evidence (running, nginx -t, upstreams, error.log)"
evidence:
  description:
    - What was gathered, in sections; a key is missing when it was not gathered or does not apply.
  returned: when the parameters are valid
  type: dict
  contains:
    container:
      description:
        - found, name, running, restarting, status, exit_code, restart_count, started_at, health, oom_killed,
          oom_kill_count (the memory cgroup's counter), memory_limit_mb, nofile_limit, logs (the last 50 lines),
          published (a list of host_ip, host_port, container_port).
      type: dict
    start:
      description: elapsed (seconds since the running container started) and budget (O(start_budget)).
      type: dict
    inner:
      description:
        - answer (the container's published port to C(/healthcheck) from the server - status, body, error_kind, error)
          and docservice_listening (port 8000 inside the container).
      type: dict
    gateway:
      description:
        - running (nginx), listening (the port of O(gateway_url)), config_ok and config_error (C(nginx -t)),
          upstreams (C(host:port) from C(nginx -T), those on the container's published ports when some are),
          error_log (recent lines at error level or worse), answer (status, body, error_kind, error, headers).
      type: dict
    outside:
      description: O(outside) as given (its answer reduced to the keys kept).
      type: dict
    baseline:
      description: O(baseline) as given.
      type: dict
    docker:
      description: rules_ok (Docker's NAT chain exists), when the container runs and publishes a port.
      type: dict
    host:
      description: mem_total_mb, swap_total_mb, disk_free_mb (of Docker's root directory).
      type: dict
    clock:
      description: skew_seconds (the server's clock minus the controller's), with O(controller_time).
      type: dict
  sample:
    container: {found: true, name: onlyoffice-documentserver, running: true, restarting: false, status: running,
                exit_code: 0, restart_count: 0, started_at: "2026-11-22T19:13:46.135599815Z", health: null,
                oom_killed: false, oom_kill_count: 0, memory_limit_mb: null, nofile_limit: 20000,
                logs: ["... nodeJS - getTableColumns error: Error: connect ECONNREFUSED 127.0.0.1:5432"],
                published: [{host_ip: 127.0.0.1, host_port: 8080, container_port: 80/tcp}]}
    start: {elapsed: 612.4, budget: 300}
    inner: {answer: {status: 502, body: "<html>...", error_kind: null, error: null}, docservice_listening: false}
    gateway: {listening: true, running: true, config_ok: true, config_error: null, upstreams: ["127.0.0.1:8080"],
              error_log: [], answer: {status: 502, body: "<html>...", error_kind: null, error: null, headers: {}}}
    docker: {rules_ok: true}
    host: {mem_total_mb: 7940, swap_total_mb: 2047, disk_free_mb: 30512}
"""

from ansible_collections.docops.onlyoffice.plugins.module_utils import _diagnose
from ansible_collections.docops.onlyoffice.plugins.module_utils._ansible_module import ansible_module


def main():
    module = ansible_module(
        _diagnose.argument_spec(),
        supports_check_mode=True,
        required_together=[('docker_client_cert', 'docker_client_key')],
    )
    problem = _diagnose.parameter_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    target = _diagnose.Target()
    docker, gap = _diagnose.docker_source(module.params, target)
    module.exit_json(**_diagnose.Diagnosis(module.params, target, docker, gap).run())


if __name__ == '__main__':
    main()
