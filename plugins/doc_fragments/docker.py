# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # Connection options shared by the modules that talk to the Docker engine.
    # Keep in sync with docker_argument_spec() in plugins/module_utils/_docker.py.
    DOCUMENTATION = r'''
options:
  docker_host:
    description:
      - The Docker engine to talk to, as a URL such as C(unix:///var/run/docker.sock) or C(tcp://192.0.2.10:2376).
      - If not set, the value of the E(DOCKER_HOST) environment variable is used, then the default.
    type: str
    default: unix:///var/run/docker.sock
  tls:
    description:
      - Use TLS to talk to a remote engine, without verifying its certificate (see O(tls_verify)).
      - If not set, the value of the E(DOCKER_TLS) environment variable is used.
    type: bool
    default: false
  tls_verify:
    description:
      - Use TLS and verify the engine's certificate against O(ca_path) (or the system's CAs).
      - If not set, the value of the E(DOCKER_TLS_VERIFY) environment variable is used.
    type: bool
    default: false
  ca_path:
    description:
      - CA certificate file that signed the engine's certificate; used with O(tls_verify=true).
      - If not set and E(DOCKER_CERT_PATH) is set, C(ca.pem) in that directory is used.
    type: path
  client_cert:
    description:
      - Client certificate file presented to the engine; needs O(client_key).
      - If not set and E(DOCKER_CERT_PATH) is set, C(cert.pem) in that directory is used.
    type: path
  client_key:
    description:
      - Private key file of O(client_cert).
      - If not set and E(DOCKER_CERT_PATH) is set, C(key.pem) in that directory is used.
    type: path
  timeout:
    description:
      - Seconds to wait for an answer from the engine on each API call (a stop adds the stop timeout), from 1
        to 3600. It is checked before the engine is contacted.
      - If not set, the value of the E(DOCKER_TIMEOUT) environment variable is used, then the default.
    type: int
    default: 60
requirements:
  - Docker SDK for Python 5.0.3 or newer on the target (Debian 12's C(python3-docker) is enough).
notes:
  - Connecting to the local socket usually needs root; run the task with C(become=true).
'''

    # The same connection options with a docker_ prefix, for the modules whose own ca_path and timeout belong to
    # their HTTP probes (gateway_probe, gateway_diagnose). Keep in sync with docker_argument_spec() too.
    PREFIXED = r'''
options:
  docker_host:
    description:
      - The Docker engine to talk to, as a URL such as C(unix:///var/run/docker.sock) or C(tcp://192.0.2.10:2376).
      - If not set, the value of the E(DOCKER_HOST) environment variable is used, then the default.
    type: str
    default: unix:///var/run/docker.sock
  docker_tls:
    description:
      - Use TLS to talk to a remote engine, without verifying its certificate (see O(docker_tls_verify)).
      - If not set, the value of the E(DOCKER_TLS) environment variable is used.
    type: bool
    default: false
  docker_tls_verify:
    description:
      - Use TLS and verify the engine's certificate against O(docker_ca_path) (or the system's CAs).
      - If not set, the value of the E(DOCKER_TLS_VERIFY) environment variable is used.
    type: bool
    default: false
  docker_ca_path:
    description:
      - CA certificate file that signed the engine's certificate; used with O(docker_tls_verify=true).
      - If not set and E(DOCKER_CERT_PATH) is set, C(ca.pem) in that directory is used.
    type: path
  docker_client_cert:
    description:
      - Client certificate file presented to the engine; needs O(docker_client_key).
      - If not set and E(DOCKER_CERT_PATH) is set, C(cert.pem) in that directory is used.
    type: path
  docker_client_key:
    description:
      - Private key file of O(docker_client_cert).
      - If not set and E(DOCKER_CERT_PATH) is set, C(key.pem) in that directory is used.
    type: path
  docker_timeout:
    description:
      - Seconds to wait for an answer from the engine on each API call, from 1 to 3600.
      - If not set, the value of the E(DOCKER_TIMEOUT) environment variable is used, then the default.
    type: int
    default: 60
'''
