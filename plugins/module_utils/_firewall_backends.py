# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module host_firewall: which backend runs this call (what is installed and active on the host).

Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall import (
    FirewallFailure,
    NftablesRun,
    choose_backend,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall_firewalld import FirewalldRun
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall_ufw import UfwRun

RUNS = {
    'nftables': NftablesRun,
    'ufw': UfwRun,
    'firewalld': FirewalldRun,
}


def found_on_host(run_command, which):
    """What is installed and active: dict of bools nft, ufw, ufw_active, firewalld, firewalld_active."""
    found = dict(nft=bool(which('nft')), ufw=False, ufw_active=False, firewalld=False, firewalld_active=False)
    ufw = which('ufw')
    if ufw:
        found['ufw'] = True
        rc, out, _err = run_command([ufw, 'status'])
        found['ufw_active'] = rc == 0 and (out or '').lstrip().lower().startswith('status: active')
    firewall_cmd = which('firewall-cmd')
    if firewall_cmd:
        found['firewalld'] = True
        rc, out, _err = run_command([firewall_cmd, '--state'])
        found['firewalld_active'] = rc == 0 and (out or '').strip() == 'running'
    return found


def backend_run(params, run_command, which, check_mode=False, **kwargs):
    """The run object of the backend for this call; FirewallFailure when the choice is refused."""
    requested = params.get('backend') or 'auto'
    backend, problem = choose_backend(requested, found_on_host(run_command, which))
    if problem:
        raise FirewallFailure(problem, changed=False, backend=requested)
    return RUNS[backend](params, run_command, which, check_mode=check_mode, **kwargs)
