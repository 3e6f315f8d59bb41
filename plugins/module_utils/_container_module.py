# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one argument spec and the one runner of the container modules.

documentserver_container and service_container differ only by their ContainerKind:
its defaults (name, image, ports, health check, stop timeout) and its own options.
Everything else, from parameter checks to the exit, is here. The options are
documented in the docops.onlyoffice.docker and docops.onlyoffice.container doc
fragments, plus each module's DOCUMENTATION for the options whose defaults differ.
Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.docops.onlyoffice.plugins.module_utils._ansible_module import ansible_module
from ansible_collections.docops.onlyoffice.plugins.module_utils._container_lifecycle import ManagedContainer
from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import (
    DEFAULT_HEALTH_TIMEOUT,
    DEFAULT_LOG_DRIVER,
    DEFAULT_LOG_OPTIONS,
    DEFAULT_RESTART_POLICY,
    PULL_POLICIES,
    RESTART_POLICIES,
    STATES,
    SpecError,
    build_spec,
    secret_values,
    shown_params,
    spec_warnings,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._docker import (
    ModuleFailure,
    client_for,
    docker_argument_spec,
)


def _default_or_required(default, **option):
    """An option with its default, or a required one when there is no default."""
    if default is None:
        option['required'] = True
    else:
        option['default'] = default
    return option


def container_argument_spec(kind):
    """The argument spec of a container module of that kind: connection, common and kind options."""
    healthcheck = kind.healthcheck
    spec = docker_argument_spec()
    spec.update(
        name=_default_or_required(kind.default_name, type='str'),
        state=dict(type='str', default='started', choices=list(STATES)),
        # Without a default, required by required_if unless state=absent.
        image=dict(type='str', **({} if kind.default_image is None else {'default': kind.default_image})),
        pull=dict(type='str', default='missing', choices=list(PULL_POLICIES)),
        registry_username=dict(type='str'),
        registry_password=dict(type='str', no_log=True),
        image_archive=dict(type='path'),
        # Copies of the default: Ansible writes the sub-option defaults into its dicts.
        published_ports=dict(type='list', elements='dict', default=[dict(port) for port in kind.default_published_ports],
                             options=dict(
            container_port=_default_or_required(kind.default_container_port, type='int'),
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
        restart_policy=dict(type='str', default=DEFAULT_RESTART_POLICY, choices=list(RESTART_POLICIES)),
        memory=dict(type='str'),
        memory_swap=dict(type='str'),
        networks=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            aliases=dict(type='list', elements='str', default=[]),
        )),
        healthcheck=dict(type='dict', options=dict(
            test=dict(type='raw'),
            interval=dict(type='str', default=healthcheck['interval']),
            timeout=dict(type='str', default=healthcheck['timeout']),
            start_period=dict(type='str', default=healthcheck['start_period']),
            retries=dict(type='int', default=healthcheck['retries']),
            disable=dict(type='bool', default=False),
        )),
        stop_timeout=dict(type='int', default=kind.default_stop_timeout),
        labels=dict(type='dict', default={}),
        env=dict(type='dict', default={}),
        health_timeout=dict(type='int', default=DEFAULT_HEALTH_TIMEOUT),
        log_driver=dict(type='str', default=DEFAULT_LOG_DRIVER),
        log_options=dict(type='dict', default=dict(DEFAULT_LOG_OPTIONS)),
    )
    spec.update(kind.options)
    return spec


def run_container_module(kind):
    """The whole module run of a container module of that kind: check, connect, converge, exit.

    Every parameter is checked (numbers, secrets, names, sizes) before the Docker
    engine is contacted; only secrets that passed the rules are added to no_log_values.
    """
    module = ansible_module(
        container_argument_spec(kind),
        shown_params=shown_params,
        supports_check_mode=True,
        required_together=[('registry_username', 'registry_password'), ('client_cert', 'client_key')],
        required_if=[] if kind.default_image else [('state', state, ['image']) for state in STATES if state != 'absent'],
    )
    try:
        spec = build_spec(module.params, kind)
    except SpecError as exc:
        module.fail_json(msg=str(exc))
    module.no_log_values.update(secret_values(spec))
    if module.params['state'] != 'absent':
        for warning in spec_warnings(spec, kind):
            module.warn(warning)
    client = client_for(module)

    # `ss` names the process holding a host port when a publish fails.
    run_command = module.run_command if module.get_bin_path('ss') else None
    container = ManagedContainer(client, spec, module.params, kind, check_mode=module.check_mode,
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
