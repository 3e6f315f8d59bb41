# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The life cycle of one managed container: image, create, recreate, stop, remove,
wait for health. Driven by a spec from _container_spec and the ContainerKind it was
built for (drain script, memory hint); shared by documentserver_container and
service_container. Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import (
    anonymous_volumes,
    compare,
    container_facts,
    display_spec,
    normalise_container,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.docops.onlyoffice.plugins.module_utils._docker import (
    DockerException,
    ModuleFailure,
    RequestException,
    create_container,
    docker_errors,
    drain,
    health_log,
    image_id,
    inspect_container,
    load_image_archive,
    log_tail,
    port_holder,
    pull_image,
)

HEALTH_POLL_INTERVAL = 1.0


def wait_until_healthy(client, name, timeout, interval=HEALTH_POLL_INTERVAL, clock=None, sleep=None, memory_hint=''):
    """Poll Docker's health status until `healthy`; return the last inspect output.

    Fails fast when the container has no health check, or stops, is OOM-killed or
    restarts while waiting: it will not become healthy by waiting longer.
    Raises ModuleFailure with the health log; the caller adds the log tail.
    clock and sleep default to time.monotonic and time.sleep (tests pass fakes).
    memory_hint: appended to the advice to raise memory after an OOM kill.
    """
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    deadline = clock() + timeout
    first_restart_count = None
    while True:
        attrs = client.inspect_container(name)
        state = attrs.get('State') or {}
        health = (state.get('Health') or {}).get('Status')
        if health == 'healthy':
            return attrs
        if state.get('Running') and not state.get('Health'):
            raise ModuleFailure('Container %s has no health check, so state=healthy cannot wait for it; give '
                                'healthcheck.test or use state=started' % name)
        restart_count = attrs.get('RestartCount', 0)
        if first_restart_count is None:
            first_restart_count = restart_count
        exit_info = 'ExitCode %s, OOMKilled %s' % (state.get('ExitCode'), str(bool(state.get('OOMKilled'))).lower())
        if state.get('ExitCode') == 137 and not state.get('OOMKilled'):
            # Docker does not always see an OOM kill (cgroup v2); 137 is SIGKILL, usually memory.
            exit_info += ': killed, usually for lack of memory'
        if state.get('OOMKilled'):
            raise ModuleFailure('Container %s was OOMKilled while waiting to become healthy (%s); raise memory%s '
                                'and see logs' % (name, exit_info, memory_hint), health_log=health_log(attrs))
        if not state.get('Running') or state.get('Status') in ('exited', 'dead'):
            raise ModuleFailure('Container %s stopped while waiting to become healthy (status %s, %s); see logs'
                                % (name, state.get('Status'), exit_info), health_log=health_log(attrs))
        if restart_count > first_restart_count:
            raise ModuleFailure('Container %s restarted while waiting to become healthy (RestartCount %d, %s); '
                                'see logs' % (name, restart_count, exit_info), health_log=health_log(attrs))
        if clock() >= deadline:
            entries = health_log(attrs)
            last = entries[-1] if entries else None
            last_check = ('last check exit %s: %s' % (last['exit_code'], last['output'][:200] or '(no output)')
                          if last else 'no check ran yet')
            raise ModuleFailure('Container %s is not healthy after %s s (health status: %s; %s); see health_log '
                                'and logs' % (name, timeout, health, last_check), health_log=entries)
        sleep(interval)


class ManagedContainer:
    """Brings one container to the wanted spec and state.

    kind: the ContainerKind the spec was built for (its drain script runs
    before a stop). params: the module parameters (state, pull, image_archive,
    registry credentials, health_timeout, docker_host). In check mode everything
    is computed and reported, and nothing is changed.
    """

    def __init__(self, client, spec, params, kind, check_mode=False, run_command=None, clock=None, sleep=None):
        self.client = client
        self.spec = spec
        self.params = params
        self.kind = kind
        self.name = spec['name']
        self.state = params['state']
        self.check_mode = check_mode
        self.run_command = run_command
        self.clock = clock
        self.sleep = sleep
        self.tracker = DifferenceTracker()
        self.image_changed = False
        self.created = None  # the new container as --diff shows it, when there was none
        self.actions = []
        self.warnings = []

    @property
    def changed(self):
        return self.image_changed or bool(self.tracker)

    def _docker(self, operation):
        return docker_errors(self.params['docker_host'], operation,
                             lambda port: port_holder(self.client, port, self.run_command))

    def apply(self):
        with self._docker('inspect container %s' % self.name):
            live = inspect_container(self.client, self.name)
        if self.state == 'absent':
            if live:
                self.tracker.add('state', live['State'].get('Status'), 'absent')
                self._shut_down(live)
                self._do('remove container', lambda: self.client.remove_container(self.name))
            return self._result(None)

        wanted_image_id = self._ensure_image()
        wanted_status = 'created' if self.state == 'stopped' else 'running'
        if live is None:
            self.tracker.add('state', 'absent', wanted_status)
            self.created = display_spec(self.spec, wanted_image_id)
            self._create_and_start('create container')
        else:
            differences = compare(self.spec, normalise_container(live), wanted_image_id)
            if differences:
                self._recreate(live, differences)
            else:
                self._converge_running(live)

        if self.check_mode:
            return self._result(live)
        with self._docker('inspect container %s' % self.name):
            attrs = self.client.inspect_container(self.name)
        if self.state == 'healthy':
            attrs = self._wait_until_healthy()
        return self._result(attrs)

    def _do(self, action, call):
        """Record an action and run it unless in check mode."""
        self.actions.append(action)
        if not self.check_mode:
            with self._docker('%s %s' % (action, self.name)):
                call()

    def _ensure_image(self):
        """Make the wanted image present (load, pull) per policy; return its id (None in check mode)."""
        reference = self.spec['image']
        pull = self.params['pull']
        archive = self.params['image_archive']
        with self._docker('inspect image %s' % reference):
            current = image_id(self.client, reference)
        if current and pull != 'always':
            return current
        if current is None and archive:
            if not os.path.isfile(archive) and self.check_mode:
                # Check mode on a fresh server: the task that copies the archive did not copy it.
                self.actions.append('load image archive %s (not on the target yet)' % archive)
                self.image_changed = True
                return None
            if not os.path.isfile(archive):
                raise ModuleFailure('image_archive: %s is not a file on the target' % archive)
            return self._get_image('load image archive %s' % archive, lambda: load_image_archive(self.client, archive),
                                   current, 'image_archive: %s does not contain image %s' % (archive, reference))
        if current is None and pull == 'never':
            raise ModuleFailure('image: %s is not present on the target and pull=never; give image_archive or '
                                'allow pulling' % reference)
        if current is not None and self.check_mode:
            return current  # pull=always: whether the registry has a newer image is only known by pulling
        auth_config = None
        if self.params['registry_username']:
            auth_config = {'username': self.params['registry_username'],
                           'password': self.params['registry_password']}
        return self._get_image('pull image %s' % reference, lambda: pull_image(self.client, reference, auth_config),
                               current, 'image: %s is still not present after the pull' % reference)

    def _get_image(self, action, call, current, missing_message):
        if self.check_mode:
            self.actions.append(action)
            self.image_changed = True
            return None
        with self._docker(action):
            call()
            new = image_id(self.client, self.spec['image'])
        if new is None:
            raise ModuleFailure(missing_message)
        if new != current:
            self.actions.append(action)
            self.image_changed = True
        return new

    def _create_and_start(self, action):
        self._do(action, lambda: create_container(self.client, self.spec))
        if self.state != 'stopped':
            self._do('start container', lambda: self.client.start(self.name))

    def _recreate(self, live, differences):
        self.tracker = differences
        self.actions.append('recreate container: %s changed' % ', '.join(differences.options))
        kept = set(mount.split(':')[1] for mount in self.spec['volumes'])
        for path in anonymous_volumes(normalise_container(live)):
            if path in kept:
                self.warnings.append('%s of the old container is an anonymous volume: its data is not moved to the '
                                     'new named volume; copy it by hand if needed' % path)
            else:
                self.warnings.append('%s of the old container is an anonymous volume: the new container gets an '
                                     'empty one; map %s in volumes to keep its data across recreates' % (path, path))
        self._shut_down(live)
        self._do('remove container', lambda: self.client.remove_container(self.name))
        self._create_and_start('create container')

    def _converge_running(self, live):
        running = bool(live['State'].get('Running'))
        if self.state == 'stopped' and running:
            self.tracker.add('state', live['State'].get('Status'), 'exited')
            self._shut_down(live)
        elif self.state != 'stopped' and not running:
            self.tracker.add('state', live['State'].get('Status'), 'running')
            self._do('start container', lambda: self.client.start(self.name))

    def _shut_down(self, live):
        """Drain with the image's script when the kind has one, then stop within stop_timeout."""
        if not live['State'].get('Running'):
            return
        stop_timeout = self.spec['stop_timeout']
        script = self.kind.drain_script
        if script and not self.check_mode:
            drain(self.client, self.name, script, stop_timeout, self.actions, self.warnings)
        self._do('stop container', lambda: self.client.stop(self.name, timeout=stop_timeout))

    def _wait_until_healthy(self):
        timeout = self.params['health_timeout']
        try:
            with self._docker('wait for container %s to become healthy' % self.name):
                return wait_until_healthy(self.client, self.name, timeout, clock=self.clock, sleep=self.sleep,
                                          memory_hint=self.kind.memory_hint)
        except ModuleFailure as exc:
            details = dict(exc.details)
            try:
                details['logs'] = log_tail(self.client, self.name)
                details['container'] = container_facts(self.client.inspect_container(self.name))
            except (DockerException, RequestException):
                pass
            raise ModuleFailure(exc.msg, **details)

    def _result(self, attrs):
        diff = self.tracker.diff()
        diff['after'].update(self.created or {})
        return {
            'changed': self.changed,
            'actions': self.actions,
            'container': container_facts(attrs) if attrs else {},
            'diff': diff,
            'warnings': self.warnings,
        }
