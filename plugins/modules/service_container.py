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
    O(command) option whose name contains one of these, such as C(--requirepass)) are shown as C(********) in the
    diff and in the returned facts.
  - The same life cycle as M(docops.onlyoffice.documentserver_container), without the Document Server specifics.
author:
  - docops.onlyoffice maintainers (@docops)
extends_documentation_fragment:
  - docops.onlyoffice.docker
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and diff without changing the target.
    support: full
  diff_mode:
    description: Returns the changed options before and after, with secrets masked.
    support: full
options:
  name:
    description:
      - Name of the container, for example V(onlyoffice-postgresql).
    type: str
    required: true
  state:
    description:
      - V(started) creates the container if needed and makes sure it runs.
      - V(healthy) does what V(started) does, then waits up to O(health_timeout) seconds for Docker's health
        status C(healthy). It fails at once when the container has no health check, and early when it stops,
        restarts or is OOM-killed meanwhile; it fails with the last health check results and the end of the
        container log.
      - V(stopped) creates the container if needed and makes sure it does not run.
      - V(absent) removes the container. Its volumes are kept.
    type: str
    choices: [started, healthy, stopped, absent]
    default: started
  image:
    description:
      - Image reference with a pinned version tag, for example V(postgres:15.8), or a digest (C(repository@sha256:...)).
      - V(latest) and references without a tag are refused, so that an upgrade is always a deliberate change.
      - Required unless O(state=absent).
    type: str
  pull:
    description:
      - V(missing) pulls the image only when it is not present on the target.
      - V(always) pulls every run; a new image behind the same tag recreates the container. In check mode
        no pull is made, so a newer image is not detected.
      - V(never) fails when the image is not present (and O(image_archive) is not given).
    type: str
    choices: [missing, always, never]
    default: missing
  registry_username:
    description:
      - User name for the registry of O(image).
    type: str
  registry_password:
    description:
      - Password or token for the registry of O(image).
    type: str
  image_archive:
    description:
      - Path on the target of an image archive made with C(docker save) (plain or gzip). It is loaded with
        C(docker load) when the image is not present, instead of pulling, for hosts without registry access.
    type: path
  env:
    description:
      - Environment variables of the container, for example C(POSTGRES_PASSWORD). Values must be strings (quote
        V(true), V(false) and numbers in YAML) without newlines.
      - Variables removed from this dict are not removed from an existing container unless it is recreated
        for another reason.
    type: dict
    default: {}
  command:
    description:
      - Command and arguments instead of the image's C(CMD), for example
        V([redis-server, --requirepass, "{{ redis_password }}"]).
      - Not managed when not set or empty (the image's C(CMD)).
    type: list
    elements: str
  volumes:
    description:
      - Named volumes or host directories to mount. A named volume that does not exist is created by Docker.
    type: list
    elements: dict
    default: []
    suboptions:
      source:
        description:
          - A volume name, or an absolute path on the host.
        type: str
        required: true
      target:
        description:
          - Absolute path inside the container.
        type: str
        required: true
      read_only:
        description:
          - Mount read-only.
        type: bool
        default: false
  networks:
    description:
      - Docker networks to connect the container to, instead of the default bridge. When set, the container
        is on exactly these networks. Not managed when not set or empty (the default bridge).
      - Create them with M(docops.onlyoffice.container_network).
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Network name. The network must exist.
        type: str
        required: true
      aliases:
        description:
          - Extra DNS names of the container on this network, for example V(postgres).
        type: list
        elements: str
        default: []
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
          - Port inside the container.
        type: int
        required: true
      host_port:
        description:
          - Port on the host.
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
      - Durations are numbers of seconds or values such as V(30s), V(1m30s) or V(500ms).
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
          - Time between checks.
        type: str
        default: 5s
      timeout:
        description:
          - Time after which one check counts as failed.
        type: str
        default: 10s
      start_period:
        description:
          - Start-up time during which failed checks do not count.
        type: str
        default: 10s
      retries:
        description:
          - Consecutive failed checks that make the container unhealthy.
        type: int
        default: 3
      disable:
        description:
          - Disable the health check, also the image's (not allowed with O(state=healthy)).
        type: bool
        default: false
  restart_policy:
    description:
      - Docker restart policy. Quote V(no) in YAML.
    type: str
    choices: ['no', always, on-failure, unless-stopped]
    default: unless-stopped
  memory:
    description:
      - Memory limit, as bytes or with a unit, for example V(512m) or V(1g). Not managed when not set.
    type: str
  stop_timeout:
    description:
      - Seconds Docker waits after the stop signal before killing the container.
    type: int
    default: 10
  labels:
    description:
      - Container labels. Labels not listed here (for example the image's) are left alone.
    type: dict
    default: {}
  health_timeout:
    description:
      - Seconds O(state=healthy) waits for the health status C(healthy).
    type: int
    default: 120
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
  returned: success
  type: dict
  contains:
    id:
      description: Container id.
      type: str
      returned: success
    name:
      description: Container name.
      type: str
      returned: success
    image:
      description: Image reference the container was created from.
      type: str
      returned: success
      sample: postgres:15.8
    image_id:
      description: Id of that image.
      type: str
      returned: success
    state:
      description: Run state.
      type: dict
      returned: success
      contains:
        status:
          description: Docker's status, such as C(running), C(exited) or C(restarting).
          type: str
          returned: success
        running:
          description: Whether it runs.
          type: bool
          returned: success
        exit_code:
          description: Exit code of the last run.
          type: int
          returned: success
        oom_killed:
          description: Whether the kernel killed it for lack of memory.
          type: bool
          returned: success
        restart_count:
          description: How often Docker restarted it.
          type: int
          returned: success
        health:
          description: Docker's health status (C(starting), C(healthy), C(unhealthy)), or null without a health check.
          type: str
          returned: success
    published_ports:
      description: Published ports as C(host_ip:host_port:container_port/protocol).
      type: list
      elements: str
      returned: success
      sample: []
    volumes:
      description: Mounts, volume name or host path to container path.
      type: dict
      returned: success
      sample: {"onlyoffice-postgresql_data": "/var/lib/postgresql/data"}
    env:
      description: Environment of the container, secrets shown as C(********).
      type: dict
      returned: success
      sample: {"POSTGRES_USER": "onlyoffice", "POSTGRES_PASSWORD": "********"}
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

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.docops.onlyoffice.plugins.module_utils._container_lifecycle import ManagedContainer
from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import (
    DEFAULT_RESTART_POLICY,
    secret_values,
    SERVICE,
    SERVICE_HEALTHCHECK,
    SpecError,
    build_spec,
    public_ports,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._docker import (
    DOCKER_IMPORT_ERROR,
    DOCKER_SDK_REQUIREMENT,
    HAS_DOCKER,
    DockerException,
    ModuleFailure,
    RequestException,
    describe_error,
    docker_argument_spec,
    get_client,
)

DEFAULT_HEALTH_TIMEOUT = 120


def argument_spec():
    spec = docker_argument_spec()
    spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', default='started', choices=['started', 'healthy', 'stopped', 'absent']),
        image=dict(type='str'),
        pull=dict(type='str', default='missing', choices=['missing', 'always', 'never']),
        registry_username=dict(type='str'),
        registry_password=dict(type='str', no_log=True),
        image_archive=dict(type='path'),
        env=dict(type='dict', default={}),
        command=dict(type='list', elements='str'),
        volumes=dict(type='list', elements='dict', default=[], options=dict(
            source=dict(type='str', required=True),
            target=dict(type='str', required=True),
            read_only=dict(type='bool', default=False),
        )),
        networks=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            aliases=dict(type='list', elements='str', default=[]),
        )),
        published_ports=dict(type='list', elements='dict', default=[], options=dict(
            container_port=dict(type='int', required=True),
            host_port=dict(type='int', required=True),
            host_ip=dict(type='str', default='127.0.0.1'),
            protocol=dict(type='str', default='tcp', choices=['tcp', 'udp']),
        )),
        healthcheck=dict(type='dict', options=dict(
            test=dict(type='raw'),
            interval=dict(type='str', default=SERVICE_HEALTHCHECK['interval']),
            timeout=dict(type='str', default=SERVICE_HEALTHCHECK['timeout']),
            start_period=dict(type='str', default=SERVICE_HEALTHCHECK['start_period']),
            retries=dict(type='int', default=SERVICE_HEALTHCHECK['retries']),
            disable=dict(type='bool', default=False),
        )),
        restart_policy=dict(type='str', default=DEFAULT_RESTART_POLICY,
                            choices=['no', 'always', 'on-failure', 'unless-stopped']),
        memory=dict(type='str'),
        stop_timeout=dict(type='int', default=SERVICE.default_stop_timeout),
        labels=dict(type='dict', default={}),
        health_timeout=dict(type='int', default=DEFAULT_HEALTH_TIMEOUT),
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_together=[('registry_username', 'registry_password'), ('client_cert', 'client_key')],
        required_if=[('state', state, ['image']) for state in ('started', 'healthy', 'stopped')],
    )
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib(DOCKER_SDK_REQUIREMENT), exception=DOCKER_IMPORT_ERROR)

    try:
        spec = build_spec(module.params, SERVICE)
    except SpecError as exc:
        module.fail_json(msg=str(exc))
    module.no_log_values.update(secret_values(spec))
    if module.params['state'] != 'absent':
        for binding in public_ports(spec):
            module.warn('published port %s is reachable from outside: Docker publishes it past the host firewall; '
                        'containers on the same network need no published port' % binding)

    try:
        client = get_client(module.params)
    except (DockerException, RequestException) as exc:
        module.fail_json(msg=describe_error(exc, module.params['docker_host'], 'connect to the Docker engine'))

    # `ss` names the process holding a host port when a publish fails.
    run_command = module.run_command if module.get_bin_path('ss') else None
    container = ManagedContainer(client, spec, module.params, SERVICE, check_mode=module.check_mode,
                                 run_command=run_command)
    try:
        result = container.apply()
    except ModuleFailure as exc:
        for warning in container.warnings:
            module.warn(warning)
        module.fail_json(msg=exc.msg, changed=container.changed, actions=container.actions, **exc.details)

    for warning in result.pop('warnings'):
        module.warn(warning)
    if not module._diff:
        result.pop('diff')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
