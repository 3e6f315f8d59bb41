# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A wanted container, and how it differs from a live one.

Pure logic, no Docker SDK: ``build_spec`` validates module parameters (numbers,
secrets, names, sizes...) into a normalised spec before anything changes,
``normalise_container`` turns ``docker inspect`` output into the same shape, and
``compare`` lists the differences for the options the user manages. What differs
between the kinds of container the modules manage (the Document Server, a companion
service) is a ``ContainerKind``; the Document Server's is in _documentserver_spec.
Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import math
import posixpath
import re
from urllib.parse import urlsplit

from ansible_collections.docops.onlyoffice.plugins.module_utils import _secret
from ansible_collections.docops.onlyoffice.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.docops.onlyoffice.plugins.module_utils._validate import Range, first_number_problem


STATES = ('started', 'healthy', 'stopped', 'absent')
PULL_POLICIES = ('missing', 'always', 'never')
RESTART_POLICIES = ('no', 'always', 'on-failure', 'unless-stopped')
DEFAULT_RESTART_POLICY = 'unless-stopped'
DEFAULT_HEALTH_TIMEOUT = 300
# Every wait is bounded by an hour: a longer one is a typo, not a slow host.
MAX_WAIT = 3600
DEFAULT_LOG_DRIVER = 'json-file'
# Without rotation a chatty container fills the disk: 5 files of 10 MiB at most.
DEFAULT_LOG_OPTIONS = {'max-size': '10m', 'max-file': '5'}
# The drivers that write to the host's disk and rotate with max-size / max-file, with the
# options Docker accepts for each (mode and max-buffer-size are accepted for any driver). An
# option Docker refuses would fail the create after the old container was removed.
ROTATING_LOG_DRIVERS = ('json-file', 'local')
_LOG_DRIVER_OPTIONS = {
    'json-file': ('max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'),
    'local': ('max-size', 'max-file', 'compress'),
}
_ANY_DRIVER_LOG_OPTIONS = ('mode', 'max-buffer-size')

PORT_RANGE = Range(1, 65535)
# Numeric parameters of every container module, checked before anything changes.
NUMBER_RANGES = {
    'published_ports.container_port': PORT_RANGE,
    'published_ports.host_port': PORT_RANGE,
    'healthcheck.retries': Range(1, 100),
    'stop_timeout': Range(0, MAX_WAIT),
    'health_timeout': Range(1, MAX_WAIT),
}

SECRET_MASK = '********'
_SECRET_WORDS = ('SECRET', 'PASSWORD', 'PASS', 'PWD', 'TOKEN')
# Signing keys: the longer minimum of _secret applies; other secrets are passwords.
_SIGNING_KEYS = ('JWT_SECRET', 'SECURE_LINK_SECRET')
# Not named like a secret but may embed a password (amqp://user:password@host).
_URI_KEYS = ('AMQP_URI',)

NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')
_DIGEST_RE = re.compile(r'^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$')
_SIZE_RE = re.compile(r'^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$')
_SIZE_UNITS = {'': 1, 'b': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3, 't': 1024 ** 4}
_DURATION_PART_RE = re.compile(r'(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)')
_DURATION_UNITS = {'h': 3600 * 10 ** 9, 'm': 60 * 10 ** 9, 's': 10 ** 9, 'ms': 10 ** 6, 'us': 10 ** 3, 'ns': 1}
# Docker wants 0 or at least 1 ms; interval and timeout 0 would mean Docker's own default.
_HEALTHCHECK_DURATIONS = (('interval', 10 ** 6), ('timeout', 10 ** 6), ('start_period', 0))
_MAX_DURATION = MAX_WAIT * 10 ** 9
# Docker refuses a memory limit below 6 MiB; more than 64 TiB is a typo.
_MIN_MEMORY = 6 * 1024 ** 2
_MAX_MEMORY = 64 * 1024 ** 4
_LOG_SIZE_LIMITS = (1024, 100 * 1024 ** 3)
_LOG_FILE_RANGE = Range(1, 100)
ANONYMOUS_VOLUME_RE = re.compile(r'^[a-f0-9]{64}$')
_ANONYMOUS = '(anonymous)'


class SpecError(ValueError):
    """A parameter is invalid; the message names it and is shown to the user as is."""


# A companion's check depends on the service (pg_isready, redis-cli ping...): no default test.
SERVICE_HEALTHCHECK = {
    'test': None,
    'interval': '5s',
    'timeout': '10s',
    'start_period': '10s',
    'retries': 3,
}


class ContainerKind:
    """What one kind of managed container adds to the common options.

    The defaults describe a companion service (PostgreSQL, RabbitMQ, Redis...):
    name and image required, nothing published, a health check only when one is
    given, nothing run before a stop.

    default_name, default_image: None means the option is required.
    image_example: a pinned reference shown when an image is not pinned.
    default_published_ports, default_container_port: the published ports, and the
        container port of one when it is not given (None: required).
    healthcheck: defaults of the health check fields; with test None, no given
        health check means none is managed (the image's own applies).
    default_stop_timeout, min_stop_timeout, stop_timeout_reason: the stop timeout,
        the shortest allowed and why.
    declared_volumes: (container path, short name) of VOLUMEs the image declares;
        each gets the named volume "<name>_<short name>" unless the user maps it.
    forbidden_mounts: (container path, why) that must not be mounted.
    options: the argument spec of the kind's own module options.
    number_ranges: Range of each numeric option in options (dotted for sub-options).
    env_options: (option, variable) first-class options that set a variable.
    env_groups: (dict option, ((sub-option, variable), ...)) likewise.
    memory_hint: appended to messages about memory.
    public_port_advice: what to do instead of publishing a port past the firewall.
    warnings: callable(spec) -> list of warnings about legal settings that will hurt.
    drain_script: run in the container before it is stopped, when it has it.
    """

    def __init__(self, default_name=None, default_image=None, image_example='postgres:15.8',
                 default_published_ports=(), default_container_port=None, healthcheck=None, default_stop_timeout=10,
                 min_stop_timeout=0, stop_timeout_reason='', declared_volumes=(), forbidden_mounts=(), options=None,
                 number_ranges=None, env_options=(), env_groups=(), memory_hint='',
                 public_port_advice='containers on the same network need no published port', warnings=None,
                 drain_script=None):
        self.default_name = default_name
        self.default_image = default_image
        self.image_example = image_example
        self.default_published_ports = default_published_ports
        self.default_container_port = default_container_port
        self.healthcheck = healthcheck or SERVICE_HEALTHCHECK
        self.default_stop_timeout = default_stop_timeout
        self.min_stop_timeout = min_stop_timeout
        self.stop_timeout_reason = stop_timeout_reason
        self.declared_volumes = declared_volumes
        self.forbidden_mounts = forbidden_mounts
        self.options = options or {}
        self.number_ranges = number_ranges or {}
        self.env_options = env_options
        self.env_groups = env_groups
        self.memory_hint = memory_hint
        self.public_port_advice = public_port_advice
        self.warnings = warnings
        self.drain_script = drain_script


SERVICE = ContainerKind(options={'command': dict(type='list', elements='str')})


# ---------------------------------------------------------------- small helpers

def is_secret_key(key):
    upper = key.upper()
    return upper in _URI_KEYS or any(word in upper for word in _SECRET_WORDS)


def _mask(key, value):
    return SECRET_MASK if value is not None and is_secret_key(key) else value


def mask_env(env):
    return dict((key, _mask(key, value)) for key, value in env.items())


def _command_secrets(command):
    """(index, secret value) of the secret options in a command line: `--requirepass X`, `--password=X`."""
    hide_next = False
    for index, argument in enumerate(command or []):
        option, equals, value = argument.partition('=')
        if hide_next:
            yield index, argument
        elif equals and option.startswith('-') and is_secret_key(option):
            yield index, value
        hide_next = argument.startswith('-') and not equals and is_secret_key(argument)


def mask_command(command):
    """The command line with the value of each secret option shown as ********."""
    if command is None:
        return None
    shown = list(command)
    for index, value in _command_secrets(command):
        shown[index] = shown[index][:len(shown[index]) - len(value)] + SECRET_MASK
    return shown


def shown_params(params):
    """Module parameters safe to echo back: secret env values, secret command options and
    service passwords masked, whatever state (even unvalidated) they are in."""
    shown = dict(params)
    env = shown.get('env')
    if isinstance(env, dict):
        shown['env'] = mask_env(env)
    elif env:
        shown['env'] = SECRET_MASK
    command = shown.get('command')
    if isinstance(command, list):
        shown['command'] = mask_command([str(argument) for argument in command])
    elif command:
        shown['command'] = SECRET_MASK
    for option in ('database', 'redis'):
        if isinstance(shown.get(option), dict) and shown[option].get('password') is not None:
            shown[option] = dict(shown[option], password=SECRET_MASK)
        elif shown.get(option) and not isinstance(shown.get(option), dict):
            shown[option] = SECRET_MASK
    for option in ('jwt_secret', 'secure_link_secret', 'amqp_uri', 'registry_password'):
        if shown.get(option) is not None:
            shown[option] = SECRET_MASK
    return shown


def _uri_password(uri, option):
    try:
        return urlsplit(uri).password
    except ValueError:
        raise SpecError('%s: not a valid URI such as amqp://user:password@host:5672' % option)


def secret_values(spec):
    """The secret strings of a built spec: each one passed the rules of _secret.

    Modules add them to AnsibleModule.no_log_values so that they are masked everywhere
    Ansible shows module arguments or results, not only in our own diff and facts. A URI
    gives its password only, the part that passed the rules.
    """
    values = set()
    for key, value in spec['env'].items():
        if key.upper() in _URI_KEYS:
            value = _uri_password(value, key)
        if value and is_secret_key(key):
            values.add(value)
    values.update(value for _index, value in _command_secrets(spec.get('command')))
    return values


def _secret_problem(value, option, key):
    """One line naming OPTION when the secret VALUE of variable KEY breaks the rules of _secret, else None."""
    if key.upper() in _URI_KEYS:
        password = _uri_password(value, option)
        if password is None:
            return None
        return _secret.problem_with(password, '%s (its password)' % option, _secret.MIN_PASSWORD_LENGTH)
    minimum = _secret.MIN_LENGTH if key.upper() in _SIGNING_KEYS else _secret.MIN_PASSWORD_LENGTH
    return _secret.problem_with(value, option, minimum)


def check_name(value, what='container'):
    """A container or network name, or SpecError naming the `name` option."""
    name = str(value or '')
    if not NAME_RE.match(name):
        raise SpecError('name: %r is not a valid %s name; use letters, digits, "_", "." and "-", starting with a '
                        'letter or digit' % (name, what))
    return name


def parse_size(value, option):
    """'4g', '512m', '1.5GiB', 1073741824 -> bytes (binary units, like docker run -m)."""
    text = str(value).strip().lower()
    match = _SIZE_RE.match(text)
    if not match:
        raise SpecError("%s: invalid size %r; use a number of bytes or a number with a unit "
                        "b, k, m, g or t such as '4g' or '512m'" % (option, str(value)))
    return _whole(float(match.group(1)) * _SIZE_UNITS[match.group(2)], option, value)


def _whole(number, option, value):
    """NUMBER as an int, or SpecError naming OPTION when it is too large to be a number at all."""
    if not math.isfinite(number):
        raise SpecError('%s: %s is out of range' % (option, str(value)[:40]))
    return int(number)


def _size_in_range(value, option, low, high):
    size = parse_size(value, option)
    if not low <= size <= high:
        raise SpecError('%s: %s is out of range; use from %s to %s'
                        % (option, value, format_size(low), format_size(high)))
    return size


def format_size(size):
    if not size or size < 0:
        return size
    for unit in ('t', 'g', 'm', 'k'):
        if size % _SIZE_UNITS[unit] == 0:
            return '%d%s' % (size // _SIZE_UNITS[unit], unit)
    return str(size)


def parse_duration(value, option):
    """'30s', '1m30s', '500ms', 90 (seconds) -> nanoseconds, as Docker stores them."""
    text = str(value).strip().lower()
    if re.match(r'^\d+(?:\.\d+)?$', text):
        return _whole(float(text) * 10 ** 9, option, value)
    if not text or _DURATION_PART_RE.sub('', text):
        raise SpecError("%s: invalid duration %r; use a number of seconds or a value such as "
                        "'30s', '1m30s' or '500ms'" % (option, str(value)))
    return sum(_whole(float(number) * _DURATION_UNITS[unit], option, value)
               for number, unit in _DURATION_PART_RE.findall(text))


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


def _image(value, kind):
    reference = str(value or '').strip()
    repository, tag, digest = parse_image_reference(reference)
    if not repository or ' ' in reference:
        raise SpecError('image: %r is not an image reference' % reference)
    if digest:
        if not _DIGEST_RE.match(digest):
            raise SpecError('image: %r has an invalid digest; expected for example sha256:<64 hex digits>' % reference)
        return reference
    if not tag or tag == 'latest':
        raise SpecError("image: %r is not pinned; give a version tag such as %s (not 'latest') or a digest "
                        "(repository@sha256:...)" % (reference, kind.image_example))
    return reference


# ---------------------------------------------------------------- ports

def _port_string(host_ip, host_port, container_port, protocol):
    """Docker CLI notation, used both to compare and to show: 127.0.0.1:8080:80/tcp."""
    if ':' in host_ip:
        host_ip = '[%s]' % host_ip
    return '%s:%s:%s/%s' % (host_ip, host_port, container_port, protocol)


def _published_ports(ports, ipv6_loopback):
    result = []
    seen = set()
    for index, port in enumerate(ports):
        option = 'published_ports[%d]' % index
        protocol = port['protocol']  # tcp or udp: the argument spec's choices
        host_ip = str(port['host_ip']).strip('[]')
        try:
            host_ip = str(ipaddress.ip_address(host_ip))
        except ValueError:
            raise SpecError('%s.host_ip: %r is not an IP address' % (option, host_ip))
        host_ips = [host_ip]
        if ipv6_loopback and host_ip == '127.0.0.1':
            host_ips.append('::1')
        for address in host_ips:
            if (address, port['host_port'], protocol) in seen:
                raise SpecError('%s: host port %s/%s on %s is published twice'
                                % (option, port['host_port'], protocol, address))
            seen.add((address, port['host_port'], protocol))
            result.append(_port_string(address, port['host_port'], port['container_port'], protocol))
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

def _is_below(target, path):
    return target == path or target.startswith(path + '/')


def _volumes(volumes, name, kind):
    mounts = {}
    for index, volume in enumerate(volumes):
        option = 'volumes[%d]' % index
        source = str(volume['source'])
        target = str(volume['target'])
        if not posixpath.isabs(target):
            raise SpecError('%s.target: %r must be an absolute path inside the container' % (option, target))
        target = posixpath.normpath(target)
        for path, why in kind.forbidden_mounts:
            if _is_below(target, path):
                raise SpecError('%s.target: do not mount %s %s' % (option, target, why))
        if not (posixpath.isabs(source) or NAME_RE.match(source)):
            raise SpecError('%s.source: %r is neither a volume name nor an absolute host path' % (option, source))
        if target in mounts:
            raise SpecError('%s.target: %s is mounted twice' % (option, target))
        mode = 'ro' if volume['read_only'] else 'rw'
        mounts[target] = '%s:%s:%s' % (source, target, mode)
    for target, short_name in kind.declared_volumes:
        if target not in mounts:
            mounts[target] = '%s_%s:%s:rw' % (name, short_name, target)
    return sorted(mounts.values(), key=_mount_target)


def _mount_target(mount):
    return mount.split(':')[1]


# ---------------------------------------------------------------- environment

def _environment(params, kind):
    """First-class options and the free-form env dict -> one dict of strings; secrets checked."""
    env = {}
    origin = {}

    def put(key, value, option):
        if value is None:
            return
        env[key] = _string_value(value, option)
        origin[key] = option

    for option, key in kind.env_options:
        value = params[option]
        if isinstance(value, bool):
            value = _bool_env(value)
        put(key, value, option)
    for group, mapping in kind.env_groups:
        for option, key in mapping:
            # A group not given (None) sets nothing.
            put(key, (params[group] or {}).get(option), '%s.%s' % (group, option))

    for key, value in params['env'].items():
        key = str(key)
        if not key or '=' in key or '\n' in key or '\x00' in key:
            raise SpecError('env: %r is not a valid environment variable name' % key)
        if key in origin:
            raise SpecError('env.%s: this variable is set by the option %s; set it there only' % (key, origin[key]))
        env[key] = _string_value(value, 'env.%s' % key)
        origin[key] = 'env.%s' % key

    for key, value in sorted(env.items()):
        if is_secret_key(key):
            problem = _secret_problem(value, origin[key], key)
            if problem:
                raise SpecError(problem)
    return env


def label_dict(labels):
    """Labels -> dict of plain strings, refusing what YAML would silently change."""
    result = {}
    for key, value in labels.items():
        result[str(key)] = _string_value(value, 'labels.%s' % key)
    return result


# ---------------------------------------------------------------- healthcheck, networks, memory, logs

def _healthcheck(healthcheck, state, defaults):
    if healthcheck is None and defaults['test'] is None:
        return None  # not managed: the image's own health check, if any, applies
    # Not given: the kind's defaults, the same values as the sub-option defaults of the argument spec.
    healthcheck = dict(defaults if healthcheck is None else healthcheck)
    if healthcheck.get('disable'):
        if state == 'healthy':
            raise SpecError('healthcheck.disable: state=healthy waits for the healthcheck; do not disable it')
        return {'test': ['NONE']}
    test = healthcheck.get('test') or defaults['test']
    if isinstance(test, str):
        test = ['CMD-SHELL', test]
    if not isinstance(test, list) or not test or str(test[0]) not in ('CMD', 'CMD-SHELL'):
        raise SpecError('healthcheck.test: give a shell command as a string, or a list starting with '
                        'CMD or CMD-SHELL')
    result = {'test': [_string_value(part, 'healthcheck.test') for part in test]}
    for field, minimum in _HEALTHCHECK_DURATIONS:
        value = defaults[field] if healthcheck.get(field) is None else healthcheck[field]
        nanoseconds = parse_duration(value, 'healthcheck.' + field)
        if not minimum <= nanoseconds <= _MAX_DURATION:
            raise SpecError('healthcheck.%s: %r is out of range; use from %s to %s'
                            % (field, value, format_duration(minimum) or '0', format_duration(_MAX_DURATION)))
        result[field] = nanoseconds
    result['retries'] = defaults['retries'] if healthcheck.get('retries') is None else healthcheck['retries']
    return result


def _networks(networks):
    # An empty list means the same as no list: the container stays on Docker's default bridge.
    if not networks:
        return None
    result = []
    for index, network in enumerate(networks):
        name = str(network['name'])
        if not name:
            raise SpecError('networks[%d].name: a network name is required' % index)
        if name in [existing['name'] for existing in result]:
            raise SpecError('networks[%d].name: %s is listed twice' % (index, name))
        aliases = sorted(set(str(alias) for alias in network['aliases']))
        result.append({'name': name, 'aliases': aliases})
    return sorted(result, key=lambda network: network['name'])


def _memory(params, hint):
    memory = params['memory']
    swap = params['memory_swap']
    if memory in (None, ''):
        memory = None
    else:
        memory = parse_size(memory, 'memory')
        if memory < _MIN_MEMORY:
            raise SpecError('memory: %s is below the 6m Docker accepts%s' % (params['memory'], hint))
        if memory > _MAX_MEMORY:
            raise SpecError('memory: %s is above %s' % (params['memory'], format_size(_MAX_MEMORY)))
    if swap in (None, ''):
        return memory, None
    if memory is None:
        raise SpecError('memory_swap: Docker needs memory to be set too')
    if str(swap).strip() == '-1':
        return memory, -1
    swap = _size_in_range(swap, 'memory_swap', 0, _MAX_MEMORY)
    if swap < memory:
        raise SpecError('memory_swap: %s is below memory (%s); it is memory plus swap, or -1 for unlimited swap'
                        % (params['memory_swap'], params['memory']))
    return memory, swap


def _logging(params):
    """log_driver and log_options -> (driver, options); the rotation options are checked."""
    driver = _string_value(params['log_driver'], 'log_driver')
    if not NAME_RE.match(driver):
        raise SpecError('log_driver: %r is not a log driver name such as json-file, local or journald' % driver)
    options = dict((str(key), _string_value(value, 'log_options.%s' % key))
                   for key, value in params['log_options'].items())
    if driver not in ROTATING_LOG_DRIVERS:
        for key in ('max-size', 'max-file'):
            if key in options:
                raise SpecError('log_options.%s: the %s log driver does not take it (only %s do); give the options '
                                'of %s, or {}' % (key, driver, ' and '.join(ROTATING_LOG_DRIVERS), driver))
        return driver, options
    known = _LOG_DRIVER_OPTIONS[driver] + _ANY_DRIVER_LOG_OPTIONS
    for key in sorted(options):
        if key not in known:
            raise SpecError('log_options.%s: not an option of the %s log driver; use %s'
                            % (key, driver, ', '.join(known)))
    if 'max-size' in options:
        _size_in_range(options['max-size'], 'log_options.max-size', *_LOG_SIZE_LIMITS)
    if 'max-file' in options:
        try:
            max_file = int(options['max-file'])
        except ValueError:
            max_file = options['max-file']  # not a whole number: the range says so
        problem = _LOG_FILE_RANGE.problem('log_options.max-file', max_file)
        if problem:
            raise SpecError(problem)
    return driver, options


def _command(command):
    # An empty list means the same as no list: the image's CMD, not managed.
    if not command:
        return None
    command = [_string_value(argument, 'command[%d]' % index) for index, argument in enumerate(command)]
    for index, value in _command_secrets(command):
        problem = _secret.problem_with(value, 'command[%d]' % index, _secret.MIN_PASSWORD_LENGTH)
        if problem:
            raise SpecError(problem)
    return command


def _stop_timeout(params, kind):
    stop_timeout = params['stop_timeout']
    if stop_timeout < kind.min_stop_timeout:
        raise SpecError('stop_timeout: %s s is too short; %s at least %d s'
                        % (stop_timeout, kind.stop_timeout_reason, kind.min_stop_timeout))
    return stop_timeout


# ---------------------------------------------------------------- the spec

def build_spec(params, kind):
    """Validate module parameters -> normalised wanted spec of a container of that kind. Raises SpecError.

    params: every option of the kind's argument spec, with its defaults (as AnsibleModule gives them).
    Numbers are checked first, then secrets and everything else; nothing here talks to Docker.
    """
    problem = first_number_problem(params, dict(NUMBER_RANGES, **kind.number_ranges))
    if problem:
        raise SpecError(problem)
    name = check_name(params['name'])
    memory, memory_swap = _memory(params, kind.memory_hint)
    log_driver, log_options = _logging(params)
    # Removing a container needs no image.
    no_image = params['image'] is None and params['state'] == 'absent'
    spec = {
        'name': name,
        'image': None if no_image else _image(params['image'], kind),
        'env': _environment(params, kind),
        'published_ports': _published_ports(params['published_ports'], params['publish_ipv6_loopback']),
        'volumes': _volumes(params['volumes'], name, kind),
        'restart_policy': params['restart_policy'],
        'memory': memory,
        'memory_swap': memory_swap,
        'healthcheck': _healthcheck(params['healthcheck'], params['state'], kind.healthcheck),
        'stop_timeout': _stop_timeout(params, kind),
        'labels': label_dict(params['labels']),
        'networks': _networks(params['networks']),
        'log_driver': log_driver,
        'log_options': log_options,
    }
    # Only a module with a command option manages the command; the others keep the image's.
    if 'command' in params:
        spec['command'] = _command(params['command'])
    return spec


def public_ports(spec):
    """The published ports that are reachable from outside the host (Docker bypasses the host firewall)."""
    return [binding for binding in spec['published_ports']
            if not ipaddress.ip_address(binding.rsplit(':', 2)[0].strip('[]')).is_loopback]


def spec_warnings(spec, kind):
    """Legal settings that will hurt, for any kind, then the kind's own; shown as module warnings."""
    warnings = ['published port %s is reachable from outside: Docker publishes it past the host firewall; %s'
                % (binding, kind.public_port_advice) for binding in public_ports(spec)]
    if spec['log_driver'] in ROTATING_LOG_DRIVERS and 'max-size' not in spec['log_options']:
        warnings.append('log_options has no max-size: the %s log of the container grows without limit and can '
                        'fill the disk' % spec['log_driver'])
    if kind.warnings:
        warnings.extend(kind.warnings(spec))
    return warnings


def display_spec(spec, image_id=None):
    """The wanted spec as --diff shows it (secrets masked, sizes and durations readable)."""
    shown = dict(spec)
    shown['env'] = mask_env(spec['env'])
    shown['memory'] = format_size(spec['memory'])
    shown['memory_swap'] = format_size(spec['memory_swap'])
    shown['healthcheck'] = _display_healthcheck(spec['healthcheck'])
    if 'command' in spec:
        shown['command'] = mask_command(spec['command'])
    if image_id:
        shown['image'] = '%s (%s)' % (spec['image'], image_id)
    return shown


def _display_healthcheck(healthcheck):
    if healthcheck is None:
        return None
    durations = [field for field, _minimum in _HEALTHCHECK_DURATIONS]
    return dict((field, format_duration(value) if field in durations else value)
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
        if mount.get('Type') == 'volume' and ANONYMOUS_VOLUME_RE.match(source):
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
    log_config = host_config.get('LogConfig') or {}
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
        'command': config.get('Cmd'),
        'stop_timeout': config.get('StopTimeout'),
        'labels': config.get('Labels') or {},
        'networks': sorted(({'name': name, 'aliases': sorted((endpoint or {}).get('Aliases') or [])}
                            for name, endpoint in networks.items()), key=lambda network: network['name']),
        'log_driver': log_config.get('Type'),
        'log_options': log_config.get('Config') or {},
    }


def anonymous_volumes(live):
    """Container paths of a live (normalised) container that hold anonymous volumes."""
    return [_mount_target(mount) for mount in live['volumes'] if mount.startswith(_ANONYMOUS + ':')]


# ---------------------------------------------------------------- compare

def compare(wanted, live, wanted_image_id=None):
    """Differences that need a new container, for the options the user manages.

    Env, labels and log options: only the keys the user sets (the image and the
    engine's daemon.json add their own).
    Healthcheck, command, memory and networks: only when the user sets them.
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

    for option in ('restart_policy', 'stop_timeout', 'log_driver'):
        if live[option] != wanted[option]:
            tracker.add(option, live[option], wanted[option])
    for key, value in sorted(wanted['log_options'].items()):
        if live['log_options'].get(key) != value:
            tracker.add('log_options.%s' % key, live['log_options'].get(key), value)
    for option in ('memory', 'memory_swap'):
        if wanted[option] is not None and live[option] != wanted[option]:
            tracker.add(option, format_size(live[option]), format_size(wanted[option]))

    if wanted['healthcheck'] is not None:
        live_health = _display_healthcheck(live['healthcheck'])
        for field, value in sorted(_display_healthcheck(wanted['healthcheck']).items()):
            if live_health.get(field) != value:
                tracker.add('healthcheck.%s' % field, live_health.get(field), value)

    if wanted.get('command') is not None and live['command'] != wanted['command']:
        tracker.add('command', mask_command(live['command']), mask_command(wanted['command']))

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
