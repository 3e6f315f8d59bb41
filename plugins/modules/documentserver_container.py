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
    Mounting /etc/onlyoffice or anything below it is refused (the image writes its configuration there).
  - Before the container is stopped (for a recreate, O(state=stopped) or O(state=absent)), the image's
    C(documentserver-prepare4shutdown.sh) is run in it when present, to drain editing sessions.
  - Secrets (O(jwt_secret), O(secure_link_secret), O(database.password), O(redis.password), the password in
    O(amqp_uri), and any environment variable whose name contains SECRET, PASS, PWD or TOKEN) are checked
    before anything changes and shown as C(********) in the diff and in the returned facts.
  - The same life cycle and common options as M(docops.onlyoffice.service_container).
author:
  - docops.onlyoffice maintainers (@docops)
extends_documentation_fragment:
  - docops.onlyoffice.docker
  - docops.onlyoffice.container
options:
  name:
    description:
      - Name of the container. Also the prefix of the named volumes.
    type: str
    default: onlyoffice-documentserver
  image:
    description:
      - Image reference with a pinned version tag, or a digest (C(repository@sha256:...)).
      - V(latest) and references without a tag are refused, so that an upgrade is always a deliberate change.
    type: str
    default: onlyoffice/documentserver:9.4.0
  published_ports:
    description:
      - Container ports to publish on the host. The default publishes port 80 on 127.0.0.1:8080 only, so
        that the nginx proxy is the only public listener (Docker's published ports bypass the host firewall).
      - An empty list publishes nothing (for a proxy on the same Docker network).
    type: list
    elements: dict
    default: [{container_port: 80, host_port: 8080, host_ip: 127.0.0.1, protocol: tcp}]
    suboptions:
      container_port:
        description:
          - Port inside the container (80 for HTTP, 443 when certificates are in the Data volume), from 1 to 65535.
        type: int
        default: 80
      host_port:
        description:
          - Port on the host, from 1 to 65535.
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
  healthcheck:
    description:
      - Docker health check. The default runs C(curl -fsS http://127.0.0.1/healthcheck | grep -qx true) in the
        container, because /healthcheck answers HTTP 200 with C(false) when a dependency is down.
      - Durations are numbers of seconds or values such as V(30s), V(1m30s) or V(500ms), at most V(1h).
    type: dict
    suboptions:
      test:
        description:
          - A shell command (run with C(CMD-SHELL)), or a list starting with C(CMD) or C(CMD-SHELL).
          - Defaults to the /healthcheck body test above.
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
        default: 5s
      start_period:
        description:
          - Start-up time during which failed checks do not count, from V(0) to V(1h).
        type: str
        default: 60s
      retries:
        description:
          - Consecutive failed checks that make the container unhealthy, from 1 to 100.
        type: int
        default: 3
      disable:
        description:
          - Disable the health check (not allowed with O(state=healthy)).
        type: bool
        default: false
  stop_timeout:
    description:
      - Seconds Docker waits after SIGTERM before killing the container, from 60 to 3600. At least 60, because
        the Document Server drains sessions when it stops.
    type: int
    default: 60
  jwt_enabled:
    description:
      - Require JWT tokens from integrations (C(JWT_ENABLED)).
    type: bool
    default: true
  jwt_secret:
    description:
      - JWT secret (C(JWT_SECRET)), 32 to 4096 printable ASCII characters without whitespace, quotes, backslash
        or C($). When it is not set the Document Server generates a new one at every start, which breaks
        integrations (a warning says so). Changing it recreates the container.
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
      - Secret for the secure links of cached files (C(SECURE_LINK_SECRET)), with the rules of O(jwt_secret).
        Generated at every start when not set.
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
          - Database port (C(DB_PORT)), from 1 to 65535.
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
          - Database password (C(DB_PWD)), 16 to 4096 printable ASCII characters without whitespace, quotes,
            backslash or C($).
        type: str
  amqp_uri:
    description:
      - External message broker URI (C(AMQP_URI)), for example C(amqp://onlyoffice:<password>@rabbitmq:5672).
        The password in it follows the rules of O(database.password). Treated as a secret.
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
          - Redis port (C(REDIS_SERVER_PORT)), from 1 to 65535.
        type: int
      password:
        description:
          - Redis password (C(REDIS_SERVER_PASS)), with the rules of O(database.password).
        type: str
notes:
  - The Document Server needs at least 4 GB of memory (or 2 GB plus 2 GB of swap); set O(memory) and
    O(memory_swap) accordingly.
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
    image: onlyoffice/documentserver:9.4.0
    image_archive: /var/cache/onlyoffice/documentserver-9.4.0.tar
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
      sample: onlyoffice/documentserver:9.4.0
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
  sample: ["pull image onlyoffice/documentserver:9.4.0", "recreate container: image changed", "stop container",
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

from ansible_collections.docops.onlyoffice.plugins.module_utils._container_module import run_container_module
from ansible_collections.docops.onlyoffice.plugins.module_utils._documentserver_spec import DOCUMENTSERVER


def main():
    run_container_module(DOCUMENTSERVER)


if __name__ == '__main__':
    main()
