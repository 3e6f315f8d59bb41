# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The wanted Document Server container, and how it differs from a live one.

Pure logic, no Docker SDK: ``build_spec`` validates module parameters into a
normalised spec, ``normalise_container`` turns ``docker inspect`` output into the
same shape, and ``compare`` lists the differences for the options the user
manages. Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import posixpath
import re

from ansible_collections.docops.onlyoffice.plugins.module_utils._diff import DifferenceTracker


DEFAULT_NAME = 'onlyoffice-documentserver'
DEFAULT_IMAGE = 'onlyoffice/documentserver:9.1.0'
DEFAULT_PUBLISHED_PORTS = [{'container_port': 80, 'host_port': 8080}]
DEFAULT_RESTART_POLICY = 'unless-stopped'
DEFAULT_STOP_TIMEOUT = 60
# The image drains editing sessions on stop (prepare4shutdown); less cuts them off.
MIN_STOP_TIMEOUT = 60

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

SECRET_MASK = '********'
_SECRET_WORDS = ('SECRET', 'PASSWORD', 'PASS', 'PWD', 'TOKEN')
# Not named like a secret but may embed a password (amqp://user:password@host).
_SECRET_KEYS = ('AMQP_URI',)

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

_NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')
_DIGEST_RE = re.compile(r'^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$')
_SIZE_RE = re.compile(r'^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$')
_SIZE_UNITS = {'': 1, 'b': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3, 't': 1024 ** 4}
_DURATION_PART_RE = re.compile(r'(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)')
_DURATION_UNITS = {'h': 3600 * 10 ** 9, 'm': 60 * 10 ** 9, 's': 10 ** 9, 'ms': 10 ** 6, 'us': 10 ** 3, 'ns': 1}
# Docker refuses a memory limit below 6 MiB.
_MIN_MEMORY = 6 * 1024 ** 2
_ANONYMOUS_VOLUME_RE = re.compile(r'^[a-f0-9]{64}$')
_ANONYMOUS = '(anonymous)'


class SpecError(ValueError):
    """A parameter is invalid; the message names it and is shown to the user as is."""


# ---------------------------------------------------------------- small helpers

def is_secret_key(key):
    upper = key.upper()
    return upper in _SECRET_KEYS or any(word in upper for word in _SECRET_WORDS)


def _mask(key, value):
    return SECRET_MASK if value is not None and is_secret_key(key) else value


def mask_env(env):
    return dict((key, _mask(key, value)) for key, value in env.items())


def parse_size(value, option):
    """'4g', '512m', '1.5GiB', 1073741824 -> bytes (binary units, like docker run -m)."""
    text = str(value).strip().lower()
    match = _SIZE_RE.match(text)
    if not match:
        raise SpecError("%s: invalid size %r; use a number of bytes or a number with a unit "
                        "b, k, m, g or t such as '4g' or '512m'" % (option, str(value)))
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])


def format_size(size):
    if not size or size < 0:
        return size
    for unit in ('t', 'g', 'm', 'k'):
        if size % _SIZE_UNITS[unit] == 0:
            return '%d%s' % (size // _SIZE_UNITS[unit], unit)
    return str(size)


def parse_duration(value, option):
    """'30s', '1m30s', '500ms', 90 (seconds) -> nanoseconds, as Docker stores them."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value * 10 ** 9)
    text = str(value).strip().lower()
    if re.match(r'^\d+(?:\.\d+)?$', text):
        return int(float(text) * 10 ** 9)
    if not text or _DURATION_PART_RE.sub('', text):
        raise SpecError("%s: invalid duration %r; use a number of seconds or a value such as "
                        "'30s', '1m30s' or '500ms'" % (option, str(value)))
    return sum(int(float(number) * _DURATION_UNITS[unit]) for number, unit in _DURATION_PART_RE.findall(text))


def format_duration(nanoseconds):
    if not nanoseconds:
        return nanoseconds
    parts = []
    rest = nanoseconds
    for unit in ('h', 'm', 's', 'ms', 'us', 'ns'):
        count, rest = divmod(rest, _DURATION_UNITS[unit])
        if count:
            parts.append('%d%s' % (count, unit))
    return ''.join(parts)


def _string_value(value, option):
    """Env and label values reach Docker as strings; refuse what YAML would silently change.

    Values from templates may be str subclasses (ansible-core 2.19 data tagging):
    str() turns them into plain strings.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SpecError('%s: the value must be a string, got %s; quote it in YAML (for example "true")'
                        % (option, 'null' if value is None else type(value).__name__))
    text = str(value)
    if '\n' in text or '\r' in text or '\x00' in text:
        raise SpecError('%s: the value must not contain a newline or NUL character' % option)
    return text


def _bool_env(value):
    return 'true' if value else 'false'


def parse_image_reference(reference):
    """Split 'registry:5000/repo:tag@sha256:...' into (repository, tag, digest)."""
    name, _sep, digest = reference.partition('@')
    # A tag follows the last ':' after the last '/': a registry host may carry a port.
    slash = name.rfind('/')
    colon = name.rfind(':')
    if colon > slash:
        return name[:colon], name[colon + 1:], digest
    return name, '', digest


def _image(value):
    reference = str(value or DEFAULT_IMAGE).strip()
    repository, tag, digest = parse_image_reference(reference)
    if not repository or ' ' in reference:
        raise SpecError('image: %r is not an image reference' % reference)
    if digest:
        if not _DIGEST_RE.match(digest):
            raise SpecError('image: %r has an invalid digest; expected for example sha256:<64 hex digits>' % reference)
        return reference
    if not tag or tag == 'latest':
        raise SpecError("image: %r is not pinned; give a version tag such as %s (not 'latest') or a digest "
                        "(repository@sha256:...)" % (reference, DEFAULT_IMAGE))
    return reference


def _name(value):
    name = str(value or DEFAULT_NAME)
    if not _NAME_RE.match(name):
        raise SpecError('name: %r is not a valid container name; use letters, digits, "_", "." and "-", '
                        'starting with a letter or digit' % name)
    return name


# ---------------------------------------------------------------- ports

def _port_string(host_ip, host_port, container_port, protocol):
    """Docker CLI notation, used both to compare and to show: 127.0.0.1:8080:80/tcp."""
    if ':' in host_ip:
        host_ip = '[%s]' % host_ip
    return '%s:%s:%s/%s' % (host_ip, host_port, container_port, protocol)


def _port_number(value, option):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SpecError('%s: %r is not a port number' % (option, value))
    if not 1 <= number <= 65535:
        raise SpecError('%s: %d is not a port number between 1 and 65535' % (option, number))
    return number


def _published_ports(ports, ipv6_loopback):
    if ports is None:
        ports = DEFAULT_PUBLISHED_PORTS
    result = []
    seen = set()
    for index, port in enumerate(ports):
        option = 'published_ports[%d]' % index
        if not isinstance(port, dict):
            raise SpecError('%s: expected a dict with container_port, host_port and host_ip' % option)
        container_port = _port_number(port.get('container_port', 80), option + '.container_port')
        host_port = _port_number(port.get('host_port'), option + '.host_port')
        protocol = str(port.get('protocol') or 'tcp')
        if protocol not in ('tcp', 'udp'):
            raise SpecError('%s.protocol: %r is not tcp or udp' % (option, protocol))
        host_ip = str(port.get('host_ip') or '127.0.0.1').strip('[]')
        try:
            host_ip = str(ipaddress.ip_address(host_ip))
        except ValueError:
            raise SpecError('%s.host_ip: %r is not an IP address' % (option, host_ip))
        host_ips = [host_ip]
        if ipv6_loopback and host_ip == '127.0.0.1':
            host_ips.append('::1')
        for address in host_ips:
            if (address, host_port, protocol) in seen:
                raise SpecError('%s: host port %s/%s on %s is published twice' % (option, host_port, protocol, address))
            seen.add((address, host_port, protocol))
            result.append(_port_string(address, host_port, container_port, protocol))
    return sorted(result)


def docker_port_bindings(published_ports):
    """Canonical port strings -> (ports, port_bindings) arguments of the Docker SDK."""
    bindings = {}
    for binding in published_ports:
        address, protocol = binding.rsplit('/', 1)
        host_part, container_port = address.rsplit(':', 1)
        host_ip, host_port = host_part.rsplit(':', 1)
        key = '%s/%s' % (container_port, protocol)
        bindings.setdefault(key, []).append((host_ip.strip('[]'), int(host_port)))
    ports = sorted((int(key.split('/')[0]), key.split('/')[1]) for key in bindings)
    return ports, bindings


# ---------------------------------------------------------------- volumes

def _forbidden_target(target):
    return target == FORBIDDEN_MOUNT or target.startswith(FORBIDDEN_MOUNT + '/')


def _volumes(volumes, name):
    mounts = {}
    for index, volume in enumerate(volumes or []):
        option = 'volumes[%d]' % index
        if not isinstance(volume, dict):
            raise SpecError('%s: expected a dict with source and target' % option)
        source = str(volume.get('source') or '')
        target = str(volume.get('target') or '')
        if not posixpath.isabs(target):
            raise SpecError('%s.target: %r must be an absolute path inside the container' % (option, target))
        target = posixpath.normpath(target)
        if _forbidden_target(target):
            raise SpecError('%s.target: do not mount %s (the image writes its configuration there at start and '
                            'a mount breaks the start); configure the Document Server through its environment '
                            'options instead' % (option, target))
        if not (posixpath.isabs(source) or _NAME_RE.match(source)):
            raise SpecError('%s.source: %r is neither a volume name nor an absolute host path' % (option, source))
        if target in mounts:
            raise SpecError('%s.target: %s is mounted twice' % (option, target))
        mode = 'ro' if volume.get('read_only') else 'rw'
        mounts[target] = '%s:%s:%s' % (source, target, mode)
    for target, short_name in DECLARED_VOLUMES:
        if target not in mounts:
            mounts[target] = '%s_%s:%s:rw' % (name, short_name, target)
    return sorted(mounts.values(), key=_mount_target)


def _mount_target(mount):
    return mount.split(':')[1]


# ---------------------------------------------------------------- environment

def _environment(params):
    """First-class options and the free-form env dict -> one dict of strings."""
    env = {}
    origin = {}

    def put(key, value, option):
        if value is None:
            return
        env[key] = _string_value(value, option)
        origin[key] = option

    for option, key in _ENV_OPTIONS:
        value = params.get(option)
        if isinstance(value, bool):
            value = _bool_env(value)
        put(key, value, option)
    for group, mapping in (('database', _DATABASE_ENV), ('redis', _REDIS_ENV)):
        for option, key in mapping:
            put(key, (params.get(group) or {}).get(option), '%s.%s' % (group, option))

    for key, value in (params.get('env') or {}).items():
        key = str(key)
        if not key or '=' in key or '\n' in key or '\x00' in key:
            raise SpecError('env: %r is not a valid environment variable name' % key)
        if key in origin:
            raise SpecError('env.%s: this variable is set by the option %s; set it there only' % (key, origin[key]))
        env[key] = _string_value(value, 'env.%s' % key)
    return env


def _labels(labels):
    result = {}
    for key, value in (labels or {}).items():
        result[str(key)] = _string_value(value, 'labels.%s' % key)
    return result


# ---------------------------------------------------------------- healthcheck, networks

def _healthcheck(healthcheck, state):
    healthcheck = dict(healthcheck or {})
    if healthcheck.get('disable'):
        if state == 'healthy':
            raise SpecError('healthcheck.disable: state=healthy waits for the healthcheck; do not disable it')
        return {'test': ['NONE']}
    test = healthcheck.get('test') or DEFAULT_HEALTHCHECK['test']
    if isinstance(test, str):
        test = ['CMD-SHELL', test]
    if not isinstance(test, list) or not test or str(test[0]) not in ('CMD', 'CMD-SHELL'):
        raise SpecError('healthcheck.test: give a shell command as a string, or a list starting with '
                        'CMD or CMD-SHELL')
    result = {'test': [_string_value(part, 'healthcheck.test') for part in test]}
    for field in ('interval', 'timeout', 'start_period'):
        value = healthcheck.get(field)
        nanoseconds = parse_duration(DEFAULT_HEALTHCHECK[field] if value is None else value, 'healthcheck.' + field)
        # Docker wants 0 or at least 1 ms; interval and timeout 0 would mean Docker's own default.
        if nanoseconds < 10 ** 6 and (field != 'start_period' or nanoseconds):
            raise SpecError('healthcheck.%s: %r is too short; use at least 1ms' % (field, value))
        result[field] = nanoseconds
    retries = healthcheck.get('retries')
    retries = DEFAULT_HEALTHCHECK['retries'] if retries is None else retries
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 1:
        raise SpecError('healthcheck.retries: %r is not a number of at least 1' % (retries,))
    result['retries'] = retries
    return result


def _networks(networks):
    # An empty list means the same as no list: the container stays on Docker's default bridge.
    if not networks:
        return None
    result = []
    for index, network in enumerate(networks):
        name = str(network.get('name') or '')
        if not name:
            raise SpecError('networks[%d].name: a network name is required' % index)
        if name in [existing['name'] for existing in result]:
            raise SpecError('networks[%d].name: %s is listed twice' % (index, name))
        aliases = sorted(set(str(alias) for alias in network.get('aliases') or []))
        result.append({'name': name, 'aliases': aliases})
    return sorted(result, key=lambda network: network['name'])


def _memory(params):
    memory = params.get('memory')
    swap = params.get('memory_swap')
    memory = None if memory in (None, '') else parse_size(memory, 'memory')
    if memory is not None and memory < _MIN_MEMORY:
        raise SpecError('memory: %s is below the 6m Docker accepts (the Document Server needs at least 4g)'
                        % params.get('memory'))
    if swap in (None, ''):
        return memory, None
    if memory is None:
        raise SpecError('memory_swap: Docker needs memory to be set too')
    swap = -1 if str(swap).strip() == '-1' else parse_size(swap, 'memory_swap')
    if swap != -1 and swap < memory:
        raise SpecError('memory_swap: %s is below memory (%s); it is memory plus swap, or -1 for unlimited swap'
                        % (params.get('memory_swap'), params.get('memory')))
    return memory, swap


# ---------------------------------------------------------------- the spec

def build_spec(params):
    """Validate module parameters -> normalised wanted spec. Raises SpecError."""
    name = _name(params.get('name'))
    stop_timeout = params.get('stop_timeout')
    stop_timeout = DEFAULT_STOP_TIMEOUT if stop_timeout is None else stop_timeout
    if stop_timeout < MIN_STOP_TIMEOUT:
        raise SpecError('stop_timeout: %s s is too short; the Document Server drains sessions on stop and needs '
                        'at least %d s' % (stop_timeout, MIN_STOP_TIMEOUT))
    memory, memory_swap = _memory(params)
    return {
        'name': name,
        'image': _image(params.get('image')),
        'env': _environment(params),
        'published_ports': _published_ports(params.get('published_ports'), params.get('publish_ipv6_loopback')),
        'volumes': _volumes(params.get('volumes'), name),
        'restart_policy': params.get('restart_policy') or DEFAULT_RESTART_POLICY,
        'memory': memory,
        'memory_swap': memory_swap,
        'healthcheck': _healthcheck(params.get('healthcheck'), params.get('state')),
        'stop_timeout': stop_timeout,
        'labels': _labels(params.get('labels')),
        'networks': _networks(params.get('networks')),
    }


def spec_warnings(spec):
    """Legal settings that will hurt; shown as module warnings."""
    warnings = []
    env = spec['env']
    if env.get('JWT_ENABLED') != 'false':
        secret = env.get('JWT_SECRET')
        if not secret:
            warnings.append('jwt_secret is not set: the Document Server generates a new JWT secret on every start, '
                            'which breaks integrations; set jwt_secret (at least 32 characters)')
        elif len(secret) < 32:
            warnings.append('jwt_secret is shorter than 32 characters; use a longer secret')
    if not env.get('SECURE_LINK_SECRET'):
        warnings.append('secure_link_secret is not set: the Document Server generates a new one on every start')
    for binding in spec['published_ports']:
        host_ip = binding.rsplit(':', 2)[0].strip('[]')
        if not ipaddress.ip_address(host_ip).is_loopback:
            warnings.append('published port %s is reachable from outside: Docker publishes it past the host '
                            'firewall; publish on 127.0.0.1 behind the nginx proxy instead' % binding)
    return warnings


def display_spec(spec, image_id=None):
    """The wanted spec as --diff shows it (secrets masked, sizes and durations readable)."""
    shown = dict(spec)
    shown['env'] = mask_env(spec['env'])
    shown['memory'] = format_size(spec['memory'])
    shown['memory_swap'] = format_size(spec['memory_swap'])
    shown['healthcheck'] = _display_healthcheck(spec['healthcheck'])
    if image_id:
        shown['image'] = '%s (%s)' % (spec['image'], image_id)
    return shown


def _display_healthcheck(healthcheck):
    return dict((field, format_duration(value) if field in ('interval', 'timeout', 'start_period') else value)
                for field, value in healthcheck.items())


# ---------------------------------------------------------------- the live side

def _env_dict(env_list):
    env = {}
    for item in env_list or []:
        key, _sep, value = item.partition('=')
        env[key] = value
    return env


def _live_ports(port_bindings):
    result = []
    for key, bindings in (port_bindings or {}).items():
        container_port, _sep, protocol = key.partition('/')
        for binding in bindings or []:
            host_ip = (binding.get('HostIp') or '0.0.0.0').strip('[]')
            result.append(_port_string(host_ip, binding.get('HostPort'), container_port, protocol or 'tcp'))
    return sorted(result)


def _live_mounts(mounts):
    result = []
    for mount in mounts or []:
        source = mount.get('Name') or mount.get('Source') or ''
        if mount.get('Type') == 'volume' and _ANONYMOUS_VOLUME_RE.match(source):
            source = _ANONYMOUS
        result.append('%s:%s:%s' % (source, mount.get('Destination'), 'rw' if mount.get('RW', True) else 'ro'))
    return sorted(result, key=_mount_target)


def _live_healthcheck(healthcheck):
    healthcheck = healthcheck or {}
    test = healthcheck.get('Test') or []
    if test[:1] == ['NONE']:
        return {'test': ['NONE']}
    return {
        'test': test,
        'interval': healthcheck.get('Interval') or 0,
        'timeout': healthcheck.get('Timeout') or 0,
        'start_period': healthcheck.get('StartPeriod') or 0,
        'retries': healthcheck.get('Retries') or 0,
    }


def normalise_container(attrs):
    """`docker inspect <container>` output -> the shape of build_spec's result."""
    config = attrs.get('Config') or {}
    host_config = attrs.get('HostConfig') or {}
    networks = (attrs.get('NetworkSettings') or {}).get('Networks') or {}
    return {
        'name': (attrs.get('Name') or '').lstrip('/'),
        'image': config.get('Image'),
        'image_id': attrs.get('Image'),
        'env': _env_dict(config.get('Env')),
        'published_ports': _live_ports(host_config.get('PortBindings')),
        'volumes': _live_mounts(attrs.get('Mounts')),
        'restart_policy': (host_config.get('RestartPolicy') or {}).get('Name') or 'no',
        'memory': host_config.get('Memory') or 0,
        'memory_swap': host_config.get('MemorySwap') or 0,
        'healthcheck': _live_healthcheck(config.get('Healthcheck')),
        'stop_timeout': config.get('StopTimeout'),
        'labels': config.get('Labels') or {},
        'networks': sorted(({'name': name, 'aliases': sorted((endpoint or {}).get('Aliases') or [])}
                            for name, endpoint in networks.items()), key=lambda network: network['name']),
    }


def anonymous_volumes(live):
    """Container paths of a live (normalised) container that hold anonymous volumes."""
    return [_mount_target(mount) for mount in live['volumes'] if mount.startswith(_ANONYMOUS + ':')]


# ---------------------------------------------------------------- compare

def compare(wanted, live, wanted_image_id=None):
    """Differences that need a new container, for the options the user manages.

    Env and labels: only the keys the user sets (the image adds its own).
    Volumes: the wanted paths, plus any named or bind mount the user dropped.
    """
    tracker = DifferenceTracker()

    if wanted_image_id:
        if live['image_id'] != wanted_image_id:
            tracker.add('image', '%s (%s)' % (live['image'], live['image_id']),
                        '%s (%s)' % (wanted['image'], wanted_image_id))
    elif live['image'] != wanted['image']:
        tracker.add('image', live['image'], wanted['image'])

    for key, value in sorted(wanted['env'].items()):
        if live['env'].get(key) != value:
            tracker.add('env.%s' % key, _mask(key, live['env'].get(key)), _mask(key, value))

    if live['published_ports'] != wanted['published_ports']:
        tracker.add('published_ports', live['published_ports'], wanted['published_ports'])

    wanted_targets = set(_mount_target(mount) for mount in wanted['volumes'])
    live_volumes = [mount for mount in live['volumes']
                    if _mount_target(mount) in wanted_targets or not mount.startswith(_ANONYMOUS + ':')]
    if live_volumes != wanted['volumes']:
        tracker.add('volumes', live_volumes, wanted['volumes'])

    for option in ('restart_policy', 'stop_timeout'):
        if live[option] != wanted[option]:
            tracker.add(option, live[option], wanted[option])
    for option in ('memory', 'memory_swap'):
        if wanted[option] is not None and live[option] != wanted[option]:
            tracker.add(option, format_size(live[option]), format_size(wanted[option]))

    live_health = _display_healthcheck(live['healthcheck'])
    for field, value in sorted(_display_healthcheck(wanted['healthcheck']).items()):
        if live_health.get(field) != value:
            tracker.add('healthcheck.%s' % field, live_health.get(field), value)

    for key, value in sorted(wanted['labels'].items()):
        if live['labels'].get(key) != value:
            tracker.add('labels.%s' % key, live['labels'].get(key), value)

    if wanted['networks'] is not None:
        live_networks = dict((network['name'], network['aliases']) for network in live['networks'])
        if sorted(live_networks) != [network['name'] for network in wanted['networks']]:
            tracker.add('networks', sorted(live_networks), [network['name'] for network in wanted['networks']])
        for network in wanted['networks']:
            aliases = live_networks.get(network['name'])
            if aliases is not None and not set(network['aliases']) <= set(aliases):
                tracker.add('networks.%s.aliases' % network['name'], aliases, network['aliases'])
    return tracker


# ---------------------------------------------------------------- returned facts

def container_facts(attrs):
    """The `container` return value: what a play needs to know, secrets masked."""
    live = normalise_container(attrs)
    state = attrs.get('State') or {}
    return {
        'id': attrs.get('Id'),
        'name': live['name'],
        'image': live['image'],
        'image_id': live['image_id'],
        'state': {
            'status': state.get('Status'),
            'running': bool(state.get('Running')),
            'exit_code': state.get('ExitCode'),
            'oom_killed': bool(state.get('OOMKilled')),
            'restart_count': attrs.get('RestartCount', 0),
            'health': (state.get('Health') or {}).get('Status'),
        },
        'published_ports': live['published_ports'],
        'volumes': dict((mount.get('Name') or mount.get('Source'), mount.get('Destination'))
                        for mount in attrs.get('Mounts') or []),
        'env': mask_env(live['env']),
    }
