# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A wanted Docker network, how it differs from a live one, and how to get there.

Docker cannot change a network's driver, internal flag or labels in place: a
difference means a new network, which is only made while no container is
attached (a recreate would cut them off). Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import (
    NAME_RE,
    SpecError,
    check_name,
    label_dict,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.docops.onlyoffice.plugins.module_utils._docker import (
    ModuleFailure,
    docker_errors,
    inspect_network,
    network_containers,
)

DEFAULT_DRIVER = 'bridge'
# Docker makes these itself and refuses to remove them.
PREDEFINED_NETWORKS = ('bridge', 'host', 'none')
NETWORK_STATES = ('present', 'absent')


def build_network_spec(params):
    """Validate module parameters (with their argument spec defaults) -> the wanted network. Raises SpecError."""
    name = check_name(params['name'], 'network')
    if name in PREDEFINED_NETWORKS:
        raise SpecError('name: %s is a network Docker makes itself; choose another name' % name)
    driver = str(params['driver'])
    if not NAME_RE.match(driver):
        raise SpecError('driver: %r is not a network driver name such as bridge or overlay' % driver)
    return {
        'name': name,
        'driver': driver,
        'internal': params['internal'],
        'labels': label_dict(params['labels']),
    }


def normalise_network(attrs):
    """`docker network inspect` output -> the shape of build_network_spec's result."""
    return {
        'name': attrs.get('Name'),
        'driver': attrs.get('Driver'),
        'internal': bool(attrs.get('Internal')),
        'labels': attrs.get('Labels') or {},
    }


def compare_network(wanted, live):
    """Differences for the options the user manages; labels: only the keys the user sets."""
    tracker = DifferenceTracker()
    for option in ('driver', 'internal'):
        if live[option] != wanted[option]:
            tracker.add(option, live[option], wanted[option])
    for key, value in sorted(wanted['labels'].items()):
        if live['labels'].get(key) != value:
            tracker.add('labels.%s' % key, live['labels'].get(key), value)
    return tracker


def network_facts(attrs, containers):
    """The `network` return value."""
    live = normalise_network(attrs)
    return dict(live, id=attrs.get('Id'), containers=containers)


def _attached(containers):
    """'container a is' / 'containers a, b are', for the messages."""
    if len(containers) == 1:
        return 'container %s is' % containers[0]
    return 'containers %s are' % ', '.join(containers)


def _shown(value):
    return str(value).lower() if isinstance(value, bool) else value


class ManagedNetwork:
    """Brings one network to the wanted spec and state (present or absent).

    params: the module parameters (state, force, docker_host). In check mode
    everything is computed and reported, and nothing is changed.
    """

    def __init__(self, client, spec, params, check_mode=False):
        self.client = client
        self.spec = spec
        self.name = spec['name']
        self.params = params
        self.state = params['state']
        self.check_mode = check_mode
        self.tracker = DifferenceTracker()
        self.created = None  # the new network as --diff shows it, when there was none
        self.actions = []

    def _docker(self, operation):
        return docker_errors(self.params['docker_host'], operation)

    def _do(self, action, call, operation=None):
        """Record an action and run it unless in check mode; operation names it in an error."""
        self.actions.append(action)
        if not self.check_mode:
            with self._docker(operation or '%s %s' % (action, self.name)):
                call()

    def apply(self):
        with self._docker('inspect network %s' % self.name):
            live = inspect_network(self.client, self.name)
            attached = network_containers(self.client, live) if live else []
        if self.state == 'absent':
            if live:
                self._remove(attached)
            return self._result(None, [])

        if live is None:
            self.tracker.add('state', 'absent', 'present')
            self.created = dict(self.spec)
            self._create()
        else:
            differences = compare_network(self.spec, normalise_network(live))
            if differences:
                self._recreate(differences, attached)
        if self.check_mode:
            return self._result(live, attached)
        with self._docker('inspect network %s' % self.name):
            live = inspect_network(self.client, self.name)
            return self._result(live, network_containers(self.client, live))

    def _create(self):
        self._do('create network', lambda: self.client.create_network(
            self.name, driver=self.spec['driver'], internal=self.spec['internal'], labels=self.spec['labels']))

    def _remove(self, attached):
        if attached and not self.params['force']:
            raise ModuleFailure('Cannot remove network %s: %s attached; remove the containers first, or set '
                                'force: true to disconnect them' % (self.name, _attached(attached)),
                                containers=attached)
        self.tracker.add('state', 'present', 'absent')
        for container in attached:
            self._do('disconnect container %s' % container,
                     lambda container=container: self.client.disconnect_container_from_network(
                         container, self.name, force=True),
                     'disconnect container %s from network %s' % (container, self.name))
        self._do('remove network', lambda: self.client.remove_network(self.name))

    def _recreate(self, differences, attached):
        changes = '; '.join('%s is %s, wanted %s' % (difference['option'], _shown(difference['before']),
                                                     _shown(difference['after']))
                            for difference in differences.differences)
        if attached:
            raise ModuleFailure('Cannot change network %s (%s): Docker changes a network only by recreating it, and '
                                '%s attached; remove the containers first, or keep the network as it is'
                                % (self.name, changes, _attached(attached)), containers=attached)
        self.tracker = differences
        self.actions.append('recreate network: %s changed' % ', '.join(differences.options))
        self._do('remove network', lambda: self.client.remove_network(self.name))
        self._create()

    def _result(self, live, attached):
        diff = self.tracker.diff()
        diff['after'].update(self.created or {})
        return {
            'changed': bool(self.tracker),
            'actions': self.actions,
            'network': network_facts(live, attached) if live else {},
            'diff': diff,
        }
