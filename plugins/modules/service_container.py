#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: service_container
short_description: Run a companion service container (PostgreSQL, RabbitMQ, Redis) in a wanted state
version_added: 0.1.0
description:
  - Creates, updates, starts, stops or removes the container of a service the Document Server depends on, such as
    PostgreSQL, RabbitMQ or Redis, the way ONLYOFFICE's docker-compose runs them (on a private Docker network,
    unpublished, with a health check and a named volume).
  - The module is idempotent. The wanted container is compared with C(docker inspect) output, only for the options the
    module manages. A difference that needs a new container recreates it; volumes are kept.
  - Map every path the image declares as a C(VOLUME) in O(volumes) (for example V(/var/lib/postgresql/data));
    an unmapped one is a fresh anonymous volume after each recreate (a warning says so).
  - Secrets (any environment variable whose name contains SECRET, PASS, PWD or TOKEN, and the value after a
    O(command) option whose name contains one of these, such as C(--requirepass)) are checked before anything
    changes and shown as C(********) in the diff and in the returned facts.
  - The same life cycle and common options as M(docops.onlyoffice.documentserver_container), without the Document
    Server specifics.
author:
  - docops.onlyoffice maintainers (@docops)
extends_documentation_fragment:
  - docops.onlyoffice.docker
  - docops.onlyoffice.container
options:
  name:
    description:
      - Name of the container, for example V(onlyoffice-postgresql).
    type: str
    required: true
  image:
    description:
      - Image reference with a pinned version tag, for example V(postgres:15.8), or a digest (C(repository@sha256:...)).
      - V(latest) and references without a tag are refused, so that an upgrade is always a deliberate change.
      - Required unless O(state=absent).
    type: str
  command:
    description:
      - Command and arguments instead of the image's C(CMD), for example
        V([redis-server, --requirepass, "{{ redis_password }}"]).
      - The value of an option whose name contains SECRET, PASS, PWD or TOKEN (C(--requirepass X) or
        C(--password=X)) is a password, with 16 to 4096 printable ASCII characters without whitespace, quotes,
        backslash or C($).
      - Not managed when not set or empty (the image's C(CMD)).
    type: list
    elements: str
  published_ports:
    description:
      - Container ports to publish on the host. None by default; containers on the same network reach the
        service by name. Anything else than a loopback address gives a warning (Docker's published ports bypass
        the host firewall).
    type: list
    elements: dict
    default: []
    suboptions:
      container_port:
        description:
          - Port inside the container, from 1 to 65535.
        type: int
        required: true
      host_port:
        description:
          - Port on the host, from 1 to 65535.
        type: int
        required: true
      host_ip:
        description:
          - Host address to bind to.
        type: str
        default: 127.0.0.1
      protocol:
        description:
          - Protocol.
        type: str
        choices: [tcp, udp]
        default: tcp
  healthcheck:
    description:
      - Docker health check. Not managed when not set (the image's own, if any, applies).
      - Durations are numbers of seconds or values such as V(30s), V(1m30s) or V(500ms), at most V(1h).
    type: dict
    suboptions:
      test:
        description:
          - A shell command (run with C(CMD-SHELL)), or a list starting with C(CMD) or C(CMD-SHELL), for example
            V(pg_isready -U onlyoffice), V([CMD, rabbitmq-diagnostics, -q, check_port_connectivity]) or
            V(redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -qx PONG).
          - The test is shown as it is in the diff and in C(docker inspect); refer to a password through an
            environment variable of the container (C($REDIS_PASSWORD)), not literally.
          - Required unless O(healthcheck.disable=true).
        type: raw
      interval:
        description:
          - Time between checks, from V(1ms) to V(1h).
        type: str
        default: 5s
      timeout:
        description:
          - Time after which one check counts as failed, from V(1ms) to V(1h).
        type: str
        default: 10s
      start_period:
        description:
          - Start-up time during which failed checks do not count, from V(0) to V(1h).
        type: str
        default: 10s
      retries:
        description:
          - Consecutive failed checks that make the container unhealthy, from 1 to 100.
        type: int
        default: 3
      disable:
        description:
          - Disable the health check, also the image's (not allowed with O(state=healthy)).
        type: bool
        default: false
  stop_timeout:
    description:
      - Seconds Docker waits after the stop signal before killing the container, from 0 to 3600.
    type: int
    default: 10
seealso:
  - module: docops.onlyoffice.container_network
  - module: docops.onlyoffice.documentserver_container
'''

EXAMPLES = r'''
- name: Private network for the Document Server and its services
  docops.onlyoffice.container_network:
    name: onlyoffice
  become: true

- name: PostgreSQL, healthy before the Document Server starts
  docops.onlyoffice.service_container:
    name: onlyoffice-postgresql
    image: postgres:15.8
    env:
      POSTGRES_DB: onlyoffice
      POSTGRES_USER: onlyoffice
      POSTGRES_PASSWORD: "{{ onlyoffice_db_password }}"
    volumes:
      - source: onlyoffice-postgresql_data
        target: /var/lib/postgresql/data
    networks:
      - name: onlyoffice
        aliases: [postgres]
    healthcheck:
      test: pg_isready -U onlyoffice
    state: healthy
  become: true

- name: RabbitMQ
  docops.onlyoffice.service_container:
    name: onlyoffice-rabbitmq
    image: rabbitmq:3.13.7
    env:
      RABBITMQ_DEFAULT_USER: onlyoffice
      RABBITMQ_DEFAULT_PASS: "{{ onlyoffice_amqp_password }}"
    volumes:
      - source: onlyoffice-rabbitmq_data
        target: /var/lib/rabbitmq
    networks:
      - name: onlyoffice
        aliases: [rabbitmq]
    healthcheck:
      test: [CMD, rabbitmq-diagnostics, -q, check_port_connectivity]
    state: healthy
  become: true

- name: Redis with a password, given on its command line (the health check reads it from the environment)
  docops.onlyoffice.service_container:
    name: onlyoffice-redis
    image: redis:7.2.5
    command: [redis-server, --requirepass, "{{ onlyoffice_redis_password }}"]
    env:
      REDIS_PASSWORD: "{{ onlyoffice_redis_password }}"
    volumes:
      - source: onlyoffice-redis_data
        target: /data
    networks:
      - name: onlyoffice
        aliases: [redis]
    healthcheck:
      test: redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -qx PONG
    state: healthy
  become: true

- name: RabbitMQ logging to the journal instead of rotated json-file logs
  docops.onlyoffice.service_container:
    name: onlyoffice-rabbitmq
    image: rabbitmq:3.13.7
    log_driver: journald
    log_options: {}
    networks:
      - name: onlyoffice
        aliases: [rabbitmq]
  become: true

- name: Remove the Redis container (its volume is kept)
  docops.onlyoffice.service_container:
    name: onlyoffice-redis
    state: absent
  become: true
'''

RETURN = r'''
container:
  description:
    - The container after the run (before it, in check mode). Empty when it does not exist.
    - The same keys as the C(container) value of M(docops.onlyoffice.documentserver_container), where each is
      described (C(id), C(name), C(image), C(image_id), C(state), C(published_ports), C(volumes), C(env));
      secrets in C(env) are shown as C(********).
  returned: success
  type: dict
  sample: {"name": "onlyoffice-postgresql", "image": "postgres:15.8", "published_ports": [],
           "volumes": {"onlyoffice-postgresql_data": "/var/lib/postgresql/data"},
           "env": {"POSTGRES_USER": "onlyoffice", "POSTGRES_PASSWORD": "********"}}
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create container", "start container"]
health_log:
  description: The last Docker health check results, when O(state=healthy) failed.
  returned: failure
  type: list
  elements: dict
logs:
  description: The last lines of the container log, when O(state=healthy) failed.
  returned: failure
  type: list
  elements: str
'''

from ansible_collections.docops.onlyoffice.plugins.module_utils._container_module import run_container_module
from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import SERVICE


def main():
    run_container_module(SERVICE)


if __name__ == '__main__':
    main()
