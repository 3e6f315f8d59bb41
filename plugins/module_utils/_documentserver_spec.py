# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the ONLYOFFICE Document Server container adds to a generic container spec.

The image's declared VOLUMEs, the mount that breaks its start, its first-class
environment options (with their argument spec and ranges), its drain script and its
defaults, as a ContainerKind for _container_spec; and the warnings about legal
settings that will hurt. Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.docops.onlyoffice.plugins.module_utils import _container_spec, _secret


DEFAULT_NAME = 'onlyoffice-documentserver'
DEFAULT_IMAGE = 'onlyoffice/documentserver:9.4.0'
# Loopback only: the nginx proxy is the only public listener.
DEFAULT_PUBLISHED_PORTS = [{'container_port': 80, 'host_port': 8080, 'host_ip': '127.0.0.1', 'protocol': 'tcp'}]
DEFAULT_STOP_TIMEOUT = 60
# The image drains editing sessions on stop (prepare4shutdown); less cuts them off.
MIN_STOP_TIMEOUT = 60
PREPARE_FOR_SHUTDOWN = 'documentserver-prepare4shutdown.sh'

# /healthcheck answers 200 "false" when a dependency is down, so test the body.
DEFAULT_HEALTHCHECK = {
    'test': ['CMD-SHELL', 'curl -fsS http://127.0.0.1/healthcheck | grep -qx true'],
    'interval': '5s',
    'timeout': '5s',
    'start_period': '60s',
    'retries': 3,
}

# Every VOLUME the real image declares, with the short name of the named volume
# ("<container name>_<short name>") it gets unless the user maps the path. An
# unmapped VOLUME would be a fresh anonymous volume after each recreate.
DECLARED_VOLUMES = (
    ('/var/log/onlyoffice', 'logs'),
    ('/var/www/onlyoffice/Data', 'data'),
    ('/var/lib/onlyoffice', 'lib'),
    ('/var/lib/postgresql', 'postgresql'),
    ('/var/lib/rabbitmq', 'rabbitmq'),
    ('/var/lib/redis', 'redis'),
    ('/usr/share/fonts/truetype/custom', 'fonts'),
)

# The image writes its configuration there at start; a mount breaks the start.
FORBIDDEN_MOUNT = '/etc/onlyoffice'

# First-class options -> environment variable of the image.
_ENV_OPTIONS = (
    ('jwt_enabled', 'JWT_ENABLED'),
    ('jwt_secret', 'JWT_SECRET'),
    ('jwt_header', 'JWT_HEADER'),
    ('jwt_in_body', 'JWT_IN_BODY'),
    ('wopi_enabled', 'WOPI_ENABLED'),
    ('allow_private_ip_address', 'ALLOW_PRIVATE_IP_ADDRESS'),
    ('allow_meta_ip_address', 'ALLOW_META_IP_ADDRESS'),
    ('secure_link_secret', 'SECURE_LINK_SECRET'),
    ('generate_fonts', 'GENERATE_FONTS'),
    ('amqp_uri', 'AMQP_URI'),
)
_DATABASE_ENV = (
    ('type', 'DB_TYPE'),
    ('host', 'DB_HOST'),
    ('port', 'DB_PORT'),
    ('name', 'DB_NAME'),
    ('user', 'DB_USER'),
    ('password', 'DB_PWD'),
)
_REDIS_ENV = (
    ('host', 'REDIS_SERVER_HOST'),
    ('port', 'REDIS_SERVER_PORT'),
    ('password', 'REDIS_SERVER_PASS'),
)
DATABASE_TYPES = ('postgres', 'mariadb', 'mysql', 'mssql', 'oracle', 'dameng')

# The module options only this kind has (documented in documentserver_container).
OPTIONS = dict(
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
        type=dict(type='str', choices=list(DATABASE_TYPES)),
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
)
NUMBER_RANGES = {
    'database.port': _container_spec.PORT_RANGE,
    'redis.port': _container_spec.PORT_RANGE,
}


def spec_warnings(spec):
    """Legal settings of the Document Server that will hurt; shown as module warnings."""
    warnings = []
    env = spec['env']
    if env.get('JWT_ENABLED') != 'false' and not env.get('JWT_SECRET'):
        warnings.append('jwt_secret is not set: the Document Server generates a new JWT secret on every start, '
                        'which breaks integrations; set jwt_secret (at least %d characters)' % _secret.MIN_LENGTH)
    if not env.get('SECURE_LINK_SECRET'):
        warnings.append('secure_link_secret is not set: the Document Server generates a new one on every start')
    return warnings


DOCUMENTSERVER = _container_spec.ContainerKind(
    default_name=DEFAULT_NAME,
    default_image=DEFAULT_IMAGE,
    image_example=DEFAULT_IMAGE,
    default_published_ports=DEFAULT_PUBLISHED_PORTS,
    default_container_port=80,
    healthcheck=DEFAULT_HEALTHCHECK,
    default_stop_timeout=DEFAULT_STOP_TIMEOUT,
    min_stop_timeout=MIN_STOP_TIMEOUT,
    stop_timeout_reason='the Document Server drains sessions on stop and needs',
    declared_volumes=DECLARED_VOLUMES,
    forbidden_mounts=((FORBIDDEN_MOUNT, '(the image writes its configuration there at start and a mount breaks '
                                        'the start); configure the Document Server through its environment '
                                        'options instead'),),
    options=OPTIONS,
    number_ranges=NUMBER_RANGES,
    env_options=_ENV_OPTIONS,
    env_groups=(('database', _DATABASE_ENV), ('redis', _REDIS_ENV)),
    memory_hint=' (the Document Server needs at least 4g)',
    public_port_advice='publish on 127.0.0.1 behind the nginx proxy instead',
    warnings=spec_warnings,
    drain_script=PREPARE_FOR_SHUTDOWN,
)
