#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: documentserver_container
short_description: Run the ONLYOFFICE Document Server container in a wanted state
version_added: 0.1.0
description:
  - Creates, updates, starts, stops or removes the ONLYOFFICE Docs (Document Server) container.
  - The module is idempotent. The wanted container is compared with C(docker inspect) output, only for the options the
    module manages. A difference that needs a new container recreates it; named volumes are kept.
  - Every C(VOLUME) the image declares gets a named volume C(<name>_<short name>) unless O(volumes) maps
    that path, so data survives upgrades. Short names are C(logs) (/var/log/onlyoffice), C(data)
    (/var/www/onlyoffice/Data), C(lib) (/var/lib/onlyoffice), C(postgresql) (/var/lib/postgresql),
    C(rabbitmq) (/var/lib/rabbitmq), C(redis) (/var/lib/redis) and C(fonts) (/usr/share/fonts/truetype/custom).
  - Before the container is stopped (for a recreate, O(state=stopped) or O(state=absent)), the image's
    C(documentserver-prepare4shutdown.sh) is run in it when present, to drain editing sessions.
  - Secrets (any environment variable whose name contains SECRET, PASS, PWD or TOKEN, and C(AMQP_URI))
    are shown as C(********) in the diff and in the returned facts.
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
      - Name of the container. Also the prefix of the named volumes.
    type: str
    default: onlyoffice-documentserver
  state:
    description:
      - V(started) creates the container if needed and makes sure it runs.
      - V(healthy) does what V(started) does, then waits up to O(health_timeout) seconds for Docker's health
        status C(healthy). It fails early when the container stops, restarts or is OOM-killed meanwhile, and
        fails with the last health check results and the end of the container log.
      - V(stopped) creates the container if needed and makes sure it does not run.
      - V(absent) removes the container. Its named volumes are kept.
    type: str
    choices: [started, healthy, stopped, absent]
    default: started
  image:
    description:
      - Image reference with a pinned version tag, or a digest (C(repository@sha256:...)).
      - V(latest) and references without a tag are refused, so that an upgrade is always a deliberate change.
    type: str
    default: onlyoffice/documentserver:9.1.0
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
  published_ports:
    description:
      - Container ports to publish on the host. The default publishes port 80 on 127.0.0.1:8080 only, so
        that the nginx proxy is the only public listener (Docker's published ports bypass the host firewall).
      - An empty list publishes nothing (for a proxy on the same Docker network).
    type: list
    elements: dict
    default: [{container_port: 80, host_port: 8080}]
    suboptions:
      container_port:
        description:
          - Port inside the container (80 for HTTP, 443 when certificates are in the Data volume).
        type: int
        default: 80
      host_port:
        description:
          - Port on the host.
        type: int
        required: true
      host_ip:
        description:
          - Host address to bind to. Anything else than a loopback address gives a warning.
        type: str
        default: 127.0.0.1
      protocol:
        description:
          - Protocol.
        type: str
        choices: [tcp, udp]
        default: tcp
  publish_ipv6_loopback:
    description:
      - Also publish every port bound to 127.0.0.1 on C(::1), for a proxy that reaches the container over IPv6.
    type: bool
    default: false
  volumes:
    description:
      - Volumes or host directories to mount. A path of the image's VOLUMEs listed here replaces its default
        named volume.
      - Mounting /etc/onlyoffice or anything below it is refused (the image writes its configuration there).
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
  restart_policy:
    description:
      - Docker restart policy. Quote V(no) in YAML.
    type: str
    choices: ['no', always, on-failure, unless-stopped]
    default: unless-stopped
  memory:
    description:
      - Memory limit, as bytes or with a unit, for example V(4g) or V(512m). The Document Server needs
        at least 4g (or 2g plus 2g of swap). Not managed when not set.
    type: str
  memory_swap:
    description:
      - Memory plus swap limit, for example V(6g); V(-1) for unlimited swap. Needs O(memory).
        Not managed when not set.
    type: str
  networks:
    description:
      - Docker networks to connect the container to, instead of the default bridge. When set, the container
        is on exactly these networks. Not managed when not set or empty (the default bridge).
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
          - Extra DNS names of the container on this network.
        type: list
        elements: str
        default: []
  healthcheck:
    description:
      - Docker health check. The default runs C(curl -fsS http://127.0.0.1/healthcheck | grep -qx true) in the
        container, because /healthcheck answers HTTP 200 with C(false) when a dependency is down.
      - Durations are numbers of seconds or values such as V(30s), V(1m30s) or V(500ms).
    type: dict
    suboptions:
      test:
        description:
          - A shell command (run with C(CMD-SHELL)), or a list starting with C(CMD) or C(CMD-SHELL).
          - Defaults to the /healthcheck body test above.
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
        default: 5s
      start_period:
        description:
          - Start-up time during which failed checks do not count.
        type: str
        default: 60s
      retries:
        description:
          - Consecutive failed checks that make the container unhealthy.
        type: int
        default: 3
      disable:
        description:
          - Disable the health check (not allowed with O(state=healthy)).
        type: bool
        default: false
  stop_timeout:
    description:
      - Seconds Docker waits after SIGTERM before killing the container. At least 60, because the Document
        Server drains sessions when it stops.
    type: int
    default: 60
  labels:
    description:
      - Container labels. Labels not listed here (for example the image's) are left alone.
    type: dict
    default: {}
  env:
    description:
      - More environment variables for the container. Values must be strings (quote V(true), V(false) and
        numbers in YAML) without newlines.
      - A variable that one of the options below also sets is refused; set it with that option.
      - Variables removed from this dict are not removed from an existing container unless it is recreated
        for another reason.
    type: dict
    default: {}
  jwt_enabled:
    description:
      - Require JWT tokens from integrations (C(JWT_ENABLED)).
    type: bool
    default: true
  jwt_secret:
    description:
      - JWT secret (C(JWT_SECRET)), at least 32 characters. When it is not set the Document Server generates
        a new one at every start, which breaks integrations (a warning says so). Changing it recreates the container.
    type: str
  jwt_header:
    description:
      - HTTP header carrying the token (C(JWT_HEADER)); the image's default is C(Authorization).
    type: str
  jwt_in_body:
    description:
      - Also accept the token in the request body (C(JWT_IN_BODY)).
    type: bool
  wopi_enabled:
    description:
      - Enable WOPI (C(WOPI_ENABLED)).
    type: bool
    default: false
  allow_private_ip_address:
    description:
      - Let the Document Server download from private IP addresses (C(ALLOW_PRIVATE_IP_ADDRESS)).
    type: bool
    default: false
  allow_meta_ip_address:
    description:
      - Let the Document Server download from meta IP addresses (C(ALLOW_META_IP_ADDRESS)). Keep it off.
    type: bool
    default: false
  secure_link_secret:
    description:
      - Secret for the secure links of cached files (C(SECURE_LINK_SECRET)). Generated at every start when
        not set.
    type: str
  generate_fonts:
    description:
      - Regenerate fonts at start (C(GENERATE_FONTS)); the image's default is true.
    type: bool
  database:
    description:
      - External database. Not set means the image's own PostgreSQL.
    type: dict
    suboptions:
      type:
        description:
          - Database type (C(DB_TYPE)).
        type: str
        choices: [postgres, mariadb, mysql, mssql, oracle, dameng]
      host:
        description:
          - Database host (C(DB_HOST)).
        type: str
      port:
        description:
          - Database port (C(DB_PORT)).
        type: int
      name:
        description:
          - Database name (C(DB_NAME)).
        type: str
      user:
        description:
          - Database user (C(DB_USER)).
        type: str
      password:
        description:
          - Database password (C(DB_PWD)).
        type: str
  amqp_uri:
    description:
      - External message broker URI (C(AMQP_URI)), for example C(amqp://guest:guest@rabbitmq:5672). Treated
        as a secret because it may hold a password.
    type: str
  redis:
    description:
      - External Redis. Not set means the image's own Redis.
    type: dict
    suboptions:
      host:
        description:
          - Redis host (C(REDIS_SERVER_HOST)).
        type: str
      port:
        description:
          - Redis port (C(REDIS_SERVER_PORT)).
        type: int
      password:
        description:
          - Redis password (C(REDIS_SERVER_PASS)).
        type: str
  health_timeout:
    description:
      - Seconds O(state=healthy) waits for the health status C(healthy). The first start with font
        generation can take several minutes on a slow host.
    type: int
    default: 300
seealso:
  - name: ONLYOFFICE Docs Docker image
    description: Environment variables and volumes of the image.
    link: https://github.com/ONLYOFFICE/Docker-DocumentServer
'''

EXAMPLES = r'''
- name: Run the Document Server on 127.0.0.1:8080 and wait until it is healthy
  docops.onlyoffice.documentserver_container:
    state: healthy
    jwt_secret: "{{ onlyoffice_jwt_secret }}"
    secure_link_secret: "{{ onlyoffice_secure_link_secret }}"
    memory: 4g
    memory_swap: 6g
  become: true

- name: Offline host, image loaded from an archive copied to the target
  docops.onlyoffice.documentserver_container:
    image: onlyoffice/documentserver:9.1.0
    image_archive: /var/cache/onlyoffice/documentserver-9.1.0.tar
    pull: never
    jwt_secret: "{{ onlyoffice_jwt_secret }}"
  become: true

- name: External PostgreSQL, RabbitMQ and Redis on a user network, published on IPv4 and IPv6 loopback
  docops.onlyoffice.documentserver_container:
    name: docs
    networks:
      - name: office
        aliases: [documentserver]
    publish_ipv6_loopback: true
    published_ports:
      - container_port: 80
        host_port: 8081
    database:
      type: postgres
      host: postgres
      port: 5432
      name: onlyoffice
      user: onlyoffice
      password: "{{ onlyoffice_db_password }}"
    amqp_uri: "amqp://onlyoffice:{{ onlyoffice_amqp_password }}@rabbitmq:5672"
    redis:
      host: redis
    jwt_secret: "{{ onlyoffice_jwt_secret }}"
    env:
      TZ: Europe/Riga
  become: true

- name: Remove the container (named volumes are kept)
  docops.onlyoffice.documentserver_container:
    name: docs
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
      sample: onlyoffice/documentserver:9.1.0
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
      sample: ["127.0.0.1:8080:80/tcp"]
    volumes:
      description: Mounts, volume name or host path to container path.
      type: dict
      returned: success
      sample: {"onlyoffice-documentserver_data": "/var/www/onlyoffice/Data"}
    env:
      description: Environment of the container, secrets shown as C(********).
      type: dict
      returned: success
      sample: {"JWT_ENABLED": "true", "JWT_SECRET": "********"}
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["pull image onlyoffice/documentserver:9.1.0", "recreate container: image changed", "stop container",
           "remove container", "create container", "start container"]
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

from ansible_collections.docops.onlyoffice.plugins.module_utils._container_lifecycle import (
    DEFAULT_HEALTH_TIMEOUT,
    ManagedContainer,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import (
    DEFAULT_RESTART_POLICY,
    secret_values,
    SpecError,
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
from ansible_collections.docops.onlyoffice.plugins.module_utils._documentserver_spec import (
    DEFAULT_HEALTHCHECK,
    DEFAULT_IMAGE,
    DEFAULT_NAME,
    DEFAULT_PUBLISHED_PORTS,
    DEFAULT_STOP_TIMEOUT,
    DOCUMENTSERVER,
    build_spec,
    spec_warnings,
)


def argument_spec():
    spec = docker_argument_spec()
    spec.update(
        name=dict(type='str', default=DEFAULT_NAME),
        state=dict(type='str', default='started', choices=['started', 'healthy', 'stopped', 'absent']),
        image=dict(type='str', default=DEFAULT_IMAGE),
        pull=dict(type='str', default='missing', choices=['missing', 'always', 'never']),
        registry_username=dict(type='str'),
        registry_password=dict(type='str', no_log=True),
        image_archive=dict(type='path'),
        # A copy of the default: Ansible writes the suboption defaults into its dicts.
        published_ports=dict(type='list', elements='dict', default=[dict(port) for port in DEFAULT_PUBLISHED_PORTS],
                             options=dict(
            container_port=dict(type='int', default=80),
            host_port=dict(type='int', required=True),
            host_ip=dict(type='str', default='127.0.0.1'),
            protocol=dict(type='str', default='tcp', choices=['tcp', 'udp']),
        )),
        publish_ipv6_loopback=dict(type='bool', default=False),
        volumes=dict(type='list', elements='dict', default=[], options=dict(
            source=dict(type='str', required=True),
            target=dict(type='str', required=True),
            read_only=dict(type='bool', default=False),
        )),
        restart_policy=dict(type='str', default=DEFAULT_RESTART_POLICY,
                            choices=['no', 'always', 'on-failure', 'unless-stopped']),
        memory=dict(type='str'),
        memory_swap=dict(type='str'),
        networks=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            aliases=dict(type='list', elements='str', default=[]),
        )),
        healthcheck=dict(type='dict', options=dict(
            test=dict(type='raw'),
            interval=dict(type='str', default=DEFAULT_HEALTHCHECK['interval']),
            timeout=dict(type='str', default=DEFAULT_HEALTHCHECK['timeout']),
            start_period=dict(type='str', default=DEFAULT_HEALTHCHECK['start_period']),
            retries=dict(type='int', default=DEFAULT_HEALTHCHECK['retries']),
            disable=dict(type='bool', default=False),
        )),
        stop_timeout=dict(type='int', default=DEFAULT_STOP_TIMEOUT),
        labels=dict(type='dict', default={}),
        env=dict(type='dict', default={}),
        jwt_enabled=dict(type='bool', default=True),
        jwt_secret=dict(type='str', no_log=True),
        jwt_header=dict(type='str'),
        jwt_in_body=dict(type='bool'),
        wopi_enabled=dict(type='bool', default=False),
        allow_private_ip_address=dict(type='bool', default=False),
        allow_meta_ip_address=dict(type='bool', default=False),
        secure_link_secret=dict(type='str', no_log=True),
        generate_fonts=dict(type='bool'),
        database=dict(type='dict', options=dict(
            type=dict(type='str', choices=['postgres', 'mariadb', 'mysql', 'mssql', 'oracle', 'dameng']),
            host=dict(type='str'),
            port=dict(type='int'),
            name=dict(type='str'),
            user=dict(type='str'),
            password=dict(type='str', no_log=True),
        )),
        amqp_uri=dict(type='str', no_log=True),
        redis=dict(type='dict', options=dict(
            host=dict(type='str'),
            port=dict(type='int'),
            password=dict(type='str', no_log=True),
        )),
        health_timeout=dict(type='int', default=DEFAULT_HEALTH_TIMEOUT),
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_together=[('registry_username', 'registry_password'), ('client_cert', 'client_key')],
    )
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib(DOCKER_SDK_REQUIREMENT), exception=DOCKER_IMPORT_ERROR)

    try:
        spec = build_spec(module.params)
    except SpecError as exc:
        module.fail_json(msg=str(exc))
    module.no_log_values.update(secret_values(spec))
    if module.params['state'] != 'absent':
        for warning in spec_warnings(spec):
            module.warn(warning)

    try:
        client = get_client(module.params)
    except (DockerException, RequestException) as exc:
        module.fail_json(msg=describe_error(exc, module.params['docker_host'], 'connect to the Docker engine'))

    # `ss` names the process holding a host port when a publish fails.
    run_command = module.run_command if module.get_bin_path('ss') else None
    container = ManagedContainer(client, spec, module.params, DOCUMENTSERVER, check_mode=module.check_mode,
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
