# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The nginx_proxy role's variables checked and normalised on the controller (module_utils/_gateway.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.docops.onlyoffice.plugins.module_utils import _gateway


def gateway_settings(settings):
    """The problems of the role's variables SETTINGS (one line each) and their normalised values."""
    try:
        return _gateway.settings(settings)
    except ValueError as error:
        raise AnsibleFilterError(str(error))


def gateway_upstream(bind_addresses, port):
    """'host:port' of a server published on the first of BIND_ADDRESSES (0.0.0.0 and :: reached on loopback)."""
    try:
        return _gateway.upstream(bind_addresses, port)
    except ValueError as error:
        raise AnsibleFilterError(str(error))


class FilterModule(object):
    def filters(self):
        return {
            'gateway_settings': gateway_settings,
            'gateway_upstream': gateway_upstream,
        }
