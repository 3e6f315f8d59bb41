# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # Options shared by the container modules, with the same defaults in each.
    # Keep in sync with container_argument_spec() in plugins/module_utils/_container_module.py;
    # the options whose defaults differ (name, image, published_ports, healthcheck,
    # stop_timeout) are documented by each module.
    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and diff without changing the target.
    support: full
  diff_mode:
    description: Returns the changed options before and after, with secrets masked.
    support: full
options:
  state:
    description:
      - V(started) creates the container if needed and makes sure it runs.
      - V(healthy) does what V(started) does, then waits up to O(health_timeout) seconds for Docker's health
        status C(healthy). It fails at once when the container has no health check, and early when it stops,
        restarts or is OOM-killed meanwhile; it fails with the last health check results and the end of the
        container log.
      - V(stopped) creates the container if needed and makes sure it does not run.
      - V(absent) removes the container. Its volumes are kept.
    type: str
    choices: [started, healthy, stopped, absent]
    default: started
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
      - Password or token for the registry of O(image). It goes to the Docker engine only, never into the
        container, and is never shown.
    type: str
  image_archive:
    description:
      - Path on the target of an image archive made with C(docker save) (plain or gzip). It is loaded with
        C(docker load) when the image is not present, instead of pulling, for hosts without registry access.
    type: path
  publish_ipv6_loopback:
    description:
      - Also publish every port bound to 127.0.0.1 on C(::1), for a proxy that reaches the container over IPv6.
    type: bool
    default: false
  volumes:
    description:
      - Named volumes or host directories to mount. A named volume that does not exist is created by Docker.
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
      - Memory limit, as bytes or with a unit, for example V(512m) or V(4g); from V(6m) to V(64t).
        Not managed when not set.
    type: str
  memory_swap:
    description:
      - Memory plus swap limit, for example V(6g), from O(memory) to V(64t); V(-1) for unlimited swap.
        Needs O(memory). Not managed when not set.
    type: str
  networks:
    description:
      - Docker networks to connect the container to, instead of the default bridge. When set, the container
        is on exactly these networks. Not managed when not set or empty (the default bridge).
      - Create them with M(docops.onlyoffice.container_network).
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
          - Extra DNS names of the container on this network, for example V(postgres).
        type: list
        elements: str
        default: []
  labels:
    description:
      - Container labels. Labels not listed here (for example the image's) are left alone.
    type: dict
    default: {}
  env:
    description:
      - Environment variables of the container. Values must be strings (quote V(true), V(false) and numbers in
        YAML) without newlines.
      - A variable that another option of the module also sets is refused; set it with that option.
      - The value of a variable whose name contains SECRET, PASS, PWD or TOKEN is a secret and must follow the
        secret rules of the collection; at least 32 characters for C(JWT_SECRET) and C(SECURE_LINK_SECRET),
        at least 16 for the others (passwords); at most 4096; printable ASCII without whitespace, quotes,
        backslash or C($). The password in C(AMQP_URI) follows the password rule. Secrets are shown as
        C(********) in the diff and in the returned facts.
      - Variables removed from this dict are not removed from an existing container unless it is recreated
        for another reason.
    type: dict
    default: {}
  health_timeout:
    description:
      - Seconds O(state=healthy) waits for the health status C(healthy), from 1 to 3600. The first start of the
        Document Server with font generation can take several minutes on a slow host.
    type: int
    default: 300
  log_driver:
    description:
      - Docker log driver of the container, such as V(json-file), V(local) or V(journald).
      - Compared with C(docker inspect); a container with another driver (for example one created without
        a driver, which gets the engine's default) is recreated.
    type: str
    default: json-file
  log_options:
    description:
      - Options of O(log_driver), with Docker's names. With V(json-file) and V(local), C(max-size) (a size such
        as V(10m), from V(1k) to V(100g)) and C(max-file) (from 1 to 100) rotate the log so that it cannot fill
        the disk; other drivers do not take them (give V({}) or their own options). Values are strings.
      - For V(json-file) and V(local) the option names are checked before anything changes (C(max-size),
        C(max-file), C(compress), C(mode), C(max-buffer-size), and for V(json-file) also C(labels),
        C(labels-regex), C(env), C(env-regex) and C(tag)), because Docker refuses an unknown one only when the
        new container is created, after the old one was removed.
      - Only the options given here are compared with C(docker inspect) (options the engine adds from its
        C(daemon.json) are left alone). A container created without them (for example by an earlier release
        of this collection, or by hand) is recreated once to get them. To keep such a container as it is,
        give the options C(docker inspect) shows for it, usually V({}); a warning says when C(max-size) is
        missing.
    type: dict
    default: {max-size: 10m, max-file: '5'}
notes:
  - Every numeric option is checked (a finite number within the range documented for it) before the Docker
    engine is contacted, so a wrong value fails the task before anything changes.
'''
