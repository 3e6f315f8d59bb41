# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An in-memory Docker engine and a module runner, shared by the module tests."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from docker.errors import APIError, ImageNotFound, NotFound
from docker.types import EndpointConfig, Healthcheck, HostConfig, NetworkingConfig

IMAGE = 'onlyoffice/documentserver:9.4.0'
IMAGE_ID = 'sha256:' + '1' * 64
API_VERSION = '1.41'
# What an image without a HEALTHCHECK and with CMD ["server"] gives a container.
IMAGE_HEALTHCHECK = {}
IMAGE_CMD = ['server']


class FakeDocker:
    """The docker.APIClient calls the module makes, over an in-memory engine.

    Containers are kept as `docker inspect` output built the way the engine
    builds it from the create call (API payloads from the SDK's own types).
    """

    def __init__(self):
        self.timeout = 60
        self.images = {IMAGE: IMAGE_ID}
        self.registry = {IMAGE: IMAGE_ID}  # what a pull gets
        self.archive = {}  # what `docker load` of the archive adds
        self.containers_by_name = {}
        self.calls = []
        self.health = []  # health statuses answered by the next inspect calls of a running container
        self.start_errors = []  # raised by the next start calls
        self.exec_output = b''
        self.other_containers = []  # `docker ps` entries of containers made elsewhere
        self.networks = {}  # name -> `docker network inspect` output
        self.network_serial = 0

    # images
    def inspect_image(self, reference):
        if reference not in self.images:
            raise ImageNotFound('404 Client Error', explanation='No such image: %s' % reference)
        return {'Id': self.images[reference]}

    def pull(self, repository, tag=None, stream=False, decode=False, auth_config=None):
        reference = '%s:%s' % (repository, tag)
        self.calls.append(('pull', reference, auth_config))
        if reference not in self.registry:
            raise APIError('404 Client Error', explanation='manifest for %s not found: manifest unknown' % reference)
        self.images[reference] = self.registry[reference]
        return iter([{'status': 'Downloaded newer image for %s' % reference}])

    def load_image(self, data):
        self.calls.append(('load', data.read()))
        self.images.update(self.archive)
        return iter([{'stream': 'Loaded image'}])

    # containers
    def create_host_config(self, **kwargs):
        return HostConfig(API_VERSION, **kwargs)

    def create_networking_config(self, endpoints):
        return NetworkingConfig(endpoints)

    def create_endpoint_config(self, **kwargs):
        return EndpointConfig(API_VERSION, **kwargs)

    def create_container(self, image, command=None, name=None, environment=None, ports=None, host_config=None,
                         labels=None, healthcheck=None, stop_timeout=None, networking_config=None):
        self.calls.append(('create', name))
        mounts = []
        for bind in host_config.get('Binds') or []:
            source, destination, mode = bind.split(':')
            bind_mount = source.startswith('/')
            mounts.append({'Type': 'bind' if bind_mount else 'volume', 'Name': '' if bind_mount else source,
                           'Source': source if bind_mount else '/var/lib/docker/volumes/%s/_data' % source,
                           'Destination': destination, 'RW': mode == 'rw'})
        endpoints = (networking_config or {}).get('EndpointsConfig') or {'bridge': {}}
        health = Healthcheck(**(healthcheck or IMAGE_HEALTHCHECK))
        self.containers_by_name[name] = {
            'Id': '%064x' % len(self.calls),
            'Name': '/' + name,
            'Image': self.images[image],
            'RestartCount': 0,
            'State': {'Status': 'created', 'Running': False, 'ExitCode': 0, 'OOMKilled': False},
            'Config': {
                'Image': image,
                'Cmd': command or IMAGE_CMD,
                'Env': ['%s=%s' % item for item in environment.items()] + ['PATH=/usr/bin:/bin'],
                'Labels': dict(labels, **{'maintainer': 'Ascensio System SIA'}),
                'Healthcheck': dict((key, value) for key, value in health.items() if value),
                'StopTimeout': stop_timeout,
            },
            'HostConfig': dict(host_config),
            'Mounts': mounts,
            'NetworkSettings': {'Networks': dict((net, {'Aliases': (endpoint or {}).get('Aliases')})
                                                 for net, endpoint in endpoints.items())},
        }
        return {'Id': self.containers_by_name[name]['Id']}

    def connect_container_to_network(self, container, network, aliases=None):
        self.calls.append(('connect', network, aliases))
        for attrs in self.containers_by_name.values():
            if attrs['Id'] == container:
                attrs['NetworkSettings']['Networks'][network] = {'Aliases': aliases}

    def _container(self, name):
        if name not in self.containers_by_name:
            raise NotFound('404 Client Error', explanation='No such container: %s' % name)
        return self.containers_by_name[name]

    def inspect_container(self, name):
        attrs = self._container(name)
        if attrs['State']['Running'] and self.health:
            attrs['State']['Health']['Status'] = self.health.pop(0)
        return copy.deepcopy(attrs)

    def start(self, name):
        self.calls.append(('start', name))
        if self.start_errors:
            raise self.start_errors.pop(0)
        attrs = self._container(name)
        attrs['State'].update(Status='running', Running=True)
        if attrs['Config']['Healthcheck'].get('Test', ['NONE']) != ['NONE']:
            attrs['State']['Health'] = {'Status': 'starting', 'Log': []}

    def stop(self, name, timeout=None):
        self.calls.append(('stop', name, timeout))
        self._container(name)['State'].update(Status='exited', Running=False)

    def remove_container(self, name):
        self.calls.append(('remove', name))
        del self.containers_by_name[name]

    def exec_create(self, name, command):
        self.calls.append(('exec', name, command[-1].split()[-1]))
        return 'exec-id'

    def exec_start(self, exec_id):
        return self.exec_output

    def logs(self, name, stdout=True, stderr=True, tail=None):
        return b'Waiting for connection to the localhost host on port 5432\n' * 3

    def containers(self, all=False, filters=None):
        """Like `docker ps`: the containers made here, running ones only unless all."""
        result = []
        for name, attrs in sorted(self.containers_by_name.items()):
            if not (all or attrs['State']['Running']):
                continue
            networks = attrs['NetworkSettings']['Networks']
            network_filter = (filters or {}).get('network')
            if network_filter and not [net for net in networks if network_filter in (net, self._network_id(net))]:
                continue
            ports = [{'IP': host_ip, 'PrivatePort': int(key.split('/')[0]), 'PublicPort': int(host_port)}
                     for key, bindings in (attrs['HostConfig'].get('PortBindings') or {}).items()
                     for host_ip, host_port in ((binding['HostIp'], binding['HostPort']) for binding in bindings)]
            result.append({'Names': ['/' + name], 'Ports': ports, 'Id': attrs['Id']})
        return result + ([] if filters else self.other_containers)

    # networks
    def _network_id(self, name):
        return (self.networks.get(name) or {}).get('Id')

    def add_network(self, name, driver='bridge', internal=False, labels=None):
        self.network_serial += 1
        self.networks[name] = {'Name': name, 'Id': '%064x' % (1000 + self.network_serial), 'Driver': driver,
                               'Internal': internal, 'Labels': labels or {}, 'Containers': {}}

    def inspect_network(self, name):
        for network in self.networks.values():
            if name in (network['Name'], network['Id']):
                attached = dict((attrs['Id'], {'Name': container})
                                for container, attrs in self.containers_by_name.items()
                                if attrs['State']['Running'] and network['Name'] in attrs['NetworkSettings']['Networks'])
                return dict(copy.deepcopy(network), Containers=attached)
        raise NotFound('404 Client Error', explanation='network %s not found' % name)

    def create_network(self, name, driver=None, internal=False, labels=None):
        self.calls.append(('create_network', name, driver, internal, labels))
        self.add_network(name, driver, internal, labels)
        return {'Id': self.networks[name]['Id']}

    def remove_network(self, name):
        self.calls.append(('remove_network', name))
        del self.networks[self.inspect_network(name)['Name']]

    def disconnect_container_from_network(self, container, network, force=False):
        self.calls.append(('disconnect', container, network, force))
        del self._container(container)['NetworkSettings']['Networks'][self.inspect_network(network)['Name']]

    def call_names(self):
        return [call[0] for call in self.calls]


class FakeTime:
    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
