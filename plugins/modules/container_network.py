#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: container_network
short_description: Make sure a Docker network exists with the wanted settings, or does not exist
version_added: 0.1.0
description:
  - Creates or removes a Docker network, such as the private network of the Document Server and its companion
    services (see M(docops.onlyoffice.service_container)).
  - The module is idempotent. Docker cannot change a network in place, so a network whose O(driver), O(internal)
    or O(labels) differ is recreated, but only while no container is attached; otherwise the module fails and
    names the attached containers.
  - Removing a network that containers are attached to (running or stopped) fails and names them, unless
    O(force=true), which disconnects them first.
author:
  - docops.onlyoffice maintainers (@docops)
extends_documentation_fragment:
  - docops.onlyoffice.docker
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and diff without changing the target.
    support: full
  diff_mode:
    description: Returns the changed settings before and after.
    support: full
options:
  name:
    description:
      - Name of the network. Docker's own networks (V(bridge), V(host), V(none)) are refused.
    type: str
    required: true
  state:
    description:
      - V(present) creates the network, or recreates it when its settings differ and no container is attached.
      - V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  driver:
    description:
      - Network driver.
    type: str
    default: bridge
  internal:
    description:
      - Make the network internal, without a route to the outside (containers on it reach only each other).
    type: bool
    default: false
  labels:
    description:
      - Network labels. Labels not listed here are left alone.
    type: dict
    default: {}
  force:
    description:
      - With O(state=absent), disconnect the attached containers instead of failing.
    type: bool
    default: false
seealso:
  - module: docops.onlyoffice.service_container
'''

EXAMPLES = r'''
- name: Private network of the Document Server and its services
  docops.onlyoffice.container_network:
    name: onlyoffice
    labels:
      com.example.stack: onlyoffice
  become: true

- name: Remove it, disconnecting whatever is still attached
  docops.onlyoffice.container_network:
    name: onlyoffice
    state: absent
    force: true
  become: true
'''

RETURN = r'''
network:
  description:
    - The network after the run (before it, in check mode). Empty when it does not exist.
  returned: success
  type: dict
  contains:
    id:
      description: Network id.
      type: str
      returned: success
    name:
      description: Network name.
      type: str
      returned: success
      sample: onlyoffice
    driver:
      description: Network driver.
      type: str
      returned: success
      sample: bridge
    internal:
      description: Whether the network is internal.
      type: bool
      returned: success
    labels:
      description: Network labels.
      type: dict
      returned: success
    containers:
      description: Names of the attached containers, running or stopped.
      type: list
      elements: str
      returned: success
      sample: ["onlyoffice-postgresql", "onlyoffice-redis"]
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create network"]
containers:
  description: The attached containers that made the module fail.
  returned: failure
  type: list
  elements: str
'''

from ansible_collections.docops.onlyoffice.plugins.module_utils._ansible_module import ansible_module
from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import SpecError
from ansible_collections.docops.onlyoffice.plugins.module_utils._docker import (
    ModuleFailure,
    client_for,
    docker_argument_spec,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._network import (
    DEFAULT_DRIVER,
    NETWORK_STATES,
    ManagedNetwork,
    build_network_spec,
)


def argument_spec():
    spec = docker_argument_spec()
    spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=list(NETWORK_STATES)),
        driver=dict(type='str', default=DEFAULT_DRIVER),
        internal=dict(type='bool', default=False),
        labels=dict(type='dict', default={}),
        force=dict(type='bool', default=False),
    )
    return spec


def main():
    module = ansible_module(
        argument_spec(),
        supports_check_mode=True,
        required_together=[('client_cert', 'client_key')],
    )
    try:
        spec = build_network_spec(module.params)
    except SpecError as exc:
        module.fail_json(msg=str(exc))
    client = client_for(module)

    network = ManagedNetwork(client, spec, module.params, check_mode=module.check_mode)
    try:
        result = network.apply()
    except ModuleFailure as exc:
        module.fail_json(msg=exc.msg, changed=bool(network.tracker), actions=network.actions, **exc.details)

    if not module._diff:
        result.pop('diff')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
