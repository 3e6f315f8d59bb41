#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: host_firewall
short_description: Incoming firewall over nftables, ufw or firewalld, with an SSH guard, commit-confirm and Docker-bypass drops
version_added: 0.1.0
description:
  - One interface over three backends (O(backend)); it needs no other collection. Every backend accepts
    loopback and established traffic, applies O(allow) and O(default_incoming_policy) for IPv4 and IPv6, and
    drops what Docker forwards for O(forward_block_ports).
  - The SSH port is B(not) added by itself. Before anything changes, the module reads the port sshd really
    listens on for this connection (see O(ssh_port)) and refuses, unless O(force=true), a rule set with policy
    C(drop) that does not allow new TCP connections to it (from the address of this connection, when known).
  - O(confirm_timeout) (commit-confirm) saves, before applying, what the backend needs to put the previous rules
    back, and starts a transient systemd timer that does so unless a later task with O(state=confirmed) cancels it.
  - "B(nftables): the module manages one table, C(inet <table>), and nothing else. It never runs
    C(flush ruleset), never touches another table (Docker's included) and never restarts C(nftables.service)
    (Debian's C(/etc/nftables.conf) flushes the whole ruleset, Docker's rules too). The rule set is one nft file
    that starts with C(table inet <table> {}) and C(delete table inet <table>), so a single C(nft -f) replaces only
    our table, atomically, after C(nft -c) accepted it; when nft rejects it nothing is applied and the module fails
    with nft's message on one line. It is saved to O(persist_path) and loaded at boot by the unit
    C(docops-firewall.service), which the module installs in C(/etc/systemd/system) and enables (before
    C(network-pre.target) and C(docker.service), after C(nftables.service))."
  - "nftables chain C(input) (hook input, priority 0, policy O(default_incoming_policy)): loopback accepted;
    established and related accepted; the ICMPv6 types IPv6 needs (neighbour and router discovery, MLD,
    packet-too-big, errors) and echo requests accepted, then the ICMPv4 errors and echo requests; invalid packets
    dropped; then each O(allow) rule."
  - "nftables chain C(forward) (hook forward, priority -1, before Docker's filter chains at priority 0; policy
    accept), only when O(forward_block_ports) is set: for each port P and each of TCP and UDP the rule
    C(iifname != \"lo\" ct status dnat meta l4proto tcp ct original proto-dst P drop). It drops forwarded traffic
    that was destination-NATed from port P, that is connections to a port that Docker publishes as host port P,
    whatever address it is published on, matched on the port the client asked for (C(ct original proto-dst)),
    since the packet has been rewritten to the container's port by then. In nftables a drop is final, so Docker's
    own accept rules cannot undo it. Traffic between containers by their own addresses is not NATed and not
    affected."
  - "B(ufw): driven through its own command (C(ufw allow), C(ufw delete), C(ufw default), C(ufw --force enable),
    C(ufw reload)); the current state is read from C(ufw status), C(ufw show added), C(/etc/default/ufw),
    C(/etc/ufw/ufw.conf) and the blocks below, and the diff shows it in ufw's words. Each O(allow) rule and source is
    one ufw rule with the comment C(docops.onlyoffice), for example C(ufw allow 22/tcp comment 'docops.onlyoffice')
    (IPv4 and IPv6) or C(ufw allow from 192.0.2.0/24 to any port 22 proto tcp comment 'docops.onlyoffice'); rules
    with that comment that are no longer wanted are deleted. Rules without it are the operator's and never touched;
    a wanted rule the operator already has (same port, protocol and source) is not added again, since ufw would move
    our comment onto it. O(default_incoming_policy=drop) is C(ufw default deny incoming), V(accept) is
    C(ufw default allow incoming); ufw is enabled, and so loaded at boot by C(ufw.service)."
  - "ufw and O(forward_block_ports): a block between C(# BEGIN docops.onlyoffice host_firewall) and
    C(# END docops.onlyoffice host_firewall) is appended to C(/etc/ufw/after.rules) and C(after6.rules): a C(*filter)
    section that declares Docker's chain C(:DOCKER-USER - [0:0]) (so ufw's C(iptables-restore -n) empties and fills
    it again at each start and reload) with, for each port P and each of TCP and UDP,
    C(-A DOCKER-USER ! -i lo -p tcp -m conntrack --ctstate DNAT --ctorigdstport P -j DROP), then C(COMMIT). Docker's
    C(FORWARD) chain jumps to C(DOCKER-USER) before its own accept rules; C(ufw route) rules come after them and
    cannot block a published port. Docker's own chains survive C(ufw reload), C(ufw disable) and C(ufw enable). Without
    ports the block is removed and its rules are deleted from the live chain (ufw leaves a chain it no longer declares
    alone)."
  - "ufw, failures, commit-confirm and O(state=absent): when a ufw command fails, the module puts back ufw's files
    (C(/etc/ufw/user.rules), C(user6.rules), C(after.rules), C(after6.rules), C(ufw.conf), C(/etc/default/ufw)),
    loads them again (C(ufw reload), or C(ufw disable) when ufw was not enabled) and fails with the command and
    ufw's message on one line. O(confirm_timeout) saves and restores the same files. O(state=absent) deletes the
    module's rules and blocks and leaves ufw enabled or not, and its default policy, as they are; while ufw stays
    active with a policy other than allow it refuses, unless O(force=true), when the operator's rules that stay do not
    allow the SSH port in use (application profiles such as C(OpenSSH) are read with C(ufw app info))."
  - "B(firewalld): the permanent configuration of the zone O(zone) and firewalld's direct rules, written with
    C(firewall-cmd --permanent) while firewalld runs (then C(firewall-cmd --reload)), with C(firewall-offline-cmd)
    while it does not (then firewalld is started and enabled; D-Bus reads its configuration again first, since a
    firewalld installed while services may not start (policy-rc.d) leaves the bus policies of firewalld and polkit
    unread and every C(firewall-cmd) call unanswered). The zone's ports and rich rules become exactly ours: each
    O(allow) rule from anywhere is a zone port (C(22/tcp)), each source a rich rule
    (C(rule family=\"ipv4\" source address=\"192.0.2.0/24\" port port=\"22\" protocol=\"tcp\" accept));
    the zone's services other than C(dhcpv6-client) are removed (they open ports not asked for; the diff shows them);
    the zone's target is C(DROP) for O(default_incoming_policy=drop), C(ACCEPT) for V(accept). Its other settings
    (interfaces, sources, protocols, forward ports, masquerade, ICMP blocks) are left as they are. A zone that is
    not the default zone and has no interfaces or sources applies to nothing: the module warns."
  - "firewalld and O(forward_block_ports): for each port P and each of TCP and UDP, IPv4 and IPv6, the direct rule
    C(ipv4 filter DOCKER-USER 0 ! -i lo -p tcp -m conntrack --ctstate DNAT --ctorigdstport P -m comment --comment
    docops.onlyoffice -j DROP), and the chain declared (C(--direct --add-chain ipv4 filter DOCKER-USER)): every
    start and reload of firewalld flushes the iptables tables, and a direct rule for a chain that does not exist
    then fails the reload. firewalld creates the chain with our rules first; Docker (at its start, or on firewalld's
    reload signal) finds it and appends its C(RETURN). Only direct rules with that comment are ever removed; the
    chain declaration goes with our last rule in it. Starting or stopping firewalld flushes Docker's chains too; a
    Docker that started while firewalld ran puts them back by itself when firewalld starts or reloads, one that
    started before firewalld (as at the first run) does not. The firewall role checks Docker's NAT chain after every
    change and restarts Docker when it is gone."
  - "firewalld, failures, commit-confirm and O(state=absent): when a command fails, the module puts back
    C(/etc/firewalld/zones/<zone>.xml) (or removes it, for a stock zone that had none) and C(/etc/firewalld/direct.xml),
    loads them again (C(firewall-cmd --reload), or stops firewalld when it was not running) and fails with the
    command and firewalld's message on one line. O(confirm_timeout) saves and restores the same files and
    firewalld's state (running, enabled), and restarts Docker when its NAT chain is gone afterwards. The zone ports
    and rich rules the last run made are recorded in C(/var/lib/docops-onlyoffice/firewall/firewalld-applied.json);
    O(state=absent) removes those and our direct rules, reloads, and leaves firewalld running and the zone's target
    and services as they are; while firewalld runs with a target other than C(ACCEPT) it refuses, unless
    O(force=true), when what stays in the zone (ports, rich rules, services) does not let the SSH port in use in.
    A permanent configuration that differs from the running one in what the module manages (or a firewalld in state
    C(failed)) is a change: it is reloaded."
  - Idempotent, in each backend's own words. For nftables the rule set is unchanged when the persisted file has
    the same text and the live table is still exactly as the module's last run left it (C(nft list table) is
    compared with the listing saved then in C(/var/lib/docops-onlyoffice/firewall)); a table changed or removed by
    someone else is applied again.
author:
  - docops.onlyoffice maintainers (@docops)
attributes:
  check_mode:
    support: full
    description:
      - Reports whether the rule set would change, with the diff; nothing is applied or written. With nftables,
        C(nft -c) still checks the rule set. Without the backend's command it warns and reports what would be
        applied.
  diff_mode:
    support: full
    description:
      - The state before and after in the backend's own words. nftables - the table as nft text. ufw - the status,
        the default incoming policy, our C(ufw show added) lines and our blocks of C(after.rules) and C(after6.rules).
        firewalld - its state and whether it is enabled, the zone's target, services, ports and rich rules as
        C(firewall-cmd --list-all) prints them, our direct chains and rules as C(firewall-cmd --direct --get-all-rules)
        does.
options:
  state:
    description:
      - V(present) applies the rule set and makes it last across reboots (nftables - the persisted file and the boot
        unit; ufw - ufw enabled, its own files; firewalld - its permanent configuration, firewalld enabled).
      - V(absent) removes what the module made (nftables - our table, the persisted file, the boot unit; ufw - our
        commented rules and our blocks, ufw's state and policy left as they are; firewalld - the zone ports and rich
        rules of the last run and our direct rules, firewalld's state, the zone's target and services left as they
        are) and any pending rollback.
      - V(confirmed) confirms an earlier change applied with O(confirm_timeout); it stops the rollback timer and
        removes the saved rules. It fails when the rollback already happened. The other options are ignored, except
        O(table) and O(persist_path).
    type: str
    choices: [present, absent, confirmed]
    default: present
  backend:
    description:
      - The firewall used.
      - V(auto) takes the firewall that is active on the host (ufw or firewalld); when none is, our own nftables
        table (the command C(nft) is needed).
      - An explicit backend is refused while another one is active (for example V(nftables) while ufw is active),
        with one line naming both.
      - A backend whose command is not installed fails (in check mode it warns and reports what would be applied).
    type: str
    choices: [auto, nftables, ufw, firewalld]
    default: auto
  allow:
    description: The incoming connections accepted (besides loopback, established and ICMP), in this order.
    type: list
    elements: dict
    default: []
    suboptions:
      port:
        description: The destination port, 1 to 65535.
        type: int
        required: true
      protocol:
        description: The protocol.
        type: str
        choices: [tcp, udp]
        default: tcp
      sources:
        description:
          - IPv4 or IPv6 addresses or networks (CIDR, without host bits) allowed; empty means from anywhere.
        type: list
        elements: str
        default: []
  default_incoming_policy:
    description: What happens to incoming traffic that no rule accepts.
    type: str
    choices: [drop, accept]
    default: drop
  forward_block_ports:
    description:
      - Host ports whose forwarded (Docker-published) traffic is dropped, TCP and UDP, 1 to 65535. See the
        description for the exact rule.
    type: list
    elements: int
    default: []
  ssh_port:
    description:
      - The SSH port the guard protects.
      - By default the port sshd really listens on for this connection, the server port of E(SSH_CONNECTION) of the
        module's process or of its parents (C(sudo) drops it from the environment, the login shell above it still
        has it), else the C(port) lines of C(sshd -T). Never C(ansible_port), which can be a forwarded port.
    type: int
  force:
    description: Apply a rule set even when it would refuse new SSH connections to the SSH port.
    type: bool
    default: false
  confirm_timeout:
    description:
      - Commit-confirm, in seconds, V(0) (off) or 10 to 3600. Before applying, the current table (or its absence)
        and the persisted file are saved under C(/var/lib/docops-onlyoffice/firewall), and a transient systemd timer
        (C(docops-firewall-rollback.timer), started with C(systemd-run)) puts them back after this many seconds.
      - A later task with O(state=confirmed) cancels it, once the controller has reconnected.
      - While a change is unconfirmed, a further change keeps the saved state from before the first one.
    type: int
    default: 0
  zone:
    description:
      - firewalld only. The zone that gets the rules, an existing one; by default firewalld's default zone (read with
        C(firewall-cmd --get-default-zone)).
    type: str
  table:
    description: nftables only. The name of our table, family C(inet).
    type: str
    default: docops_firewall
  persist_path:
    description: nftables only. The file that holds the rule set for the boot unit, an absolute path.
    type: path
    default: /etc/nftables.d/docops-firewall.nft
notes:
  - Run it with C(become=true).
  - Established connections stay open whatever the new rules, so the current SSH session survives a mistake;
    use O(confirm_timeout) so that a rule set which refuses new connections is undone by itself.
  - A transient timer does not survive a reboot; the boot unit then loads the rule set persisted by the
    unconfirmed change.
seealso:
  - module: docops.onlyoffice.nginx_site
'''

EXAMPLES = r'''
- name: Only SSH, HTTP and HTTPS from outside; the Document Server's published port never
  docops.onlyoffice.host_firewall:
    allow:
      - port: 22
      - port: 80
      - port: 443
    forward_block_ports: [8080]
    confirm_timeout: 120
  become: true

- name: Confirm once the controller reaches the host again
  docops.onlyoffice.host_firewall:
    state: confirmed
  become: true

- name: SSH only from the management network
  docops.onlyoffice.host_firewall:
    allow:
      - port: 22
        sources: [192.0.2.0/24, "2001:db8::/32"]
      - port: 443
  become: true

- name: Remove the table, its file and its boot unit
  docops.onlyoffice.host_firewall:
    state: absent
  become: true
'''

RETURN = r'''
table:
  description: The table managed, family C(inet).
  returned: with the nftables backend
  type: str
  sample: docops_firewall
backend:
  description: The backend used (the one O(backend=auto) chose).
  returned: always
  type: str
  sample: nftables
installed:
  description: Whether the backend's command is installed (false only in check mode, which then only warns).
  returned: success
  type: bool
ssh_port:
  description: The SSH port the guard protected (the first one when C(sshd -T) lists several).
  returned: with O(state=present)
  type: int
  sample: 22
ssh_port_source:
  description: Where O(ssh_port) was read, V(SSH_CONNECTION), V(sshd -T) or V(ssh_port); null when no SSH was found.
  returned: with O(state=present)
  type: str
  sample: SSH_CONNECTION
persist_path:
  description: The file the boot unit loads.
  returned: with the nftables backend
  type: str
  sample: /etc/nftables.d/docops-firewall.nft
unit:
  description: The boot unit.
  returned: with the nftables backend
  type: str
  sample: docops-firewall.service
rollback_unit:
  description: The timer of commit-confirm; O(state=confirmed) stops it.
  returned: success
  type: str
  sample: docops-firewall-rollback.timer
rollback_pending:
  description: Whether an unconfirmed change will be rolled back by the timer.
  returned: success
  type: bool
rollback_seconds:
  description: The delay of the rollback armed by this run.
  returned: when this run changed the rules with O(confirm_timeout)
  type: int
  sample: 120
zone:
  description: The firewalld zone that got the rules.
  returned: with the firewalld backend
  type: str
  sample: public
nft_output:
  description: What nft printed when it rejected the rule set.
  returned: when nft failed
  type: str
'''

from ansible_collections.docops.onlyoffice.plugins.module_utils._ansible_module import ansible_module, exit_from_run
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall import (
    BACKENDS,
    DEFAULT_PERSIST_PATH,
    DEFAULT_TABLE,
    POLICIES,
    PROTOCOLS,
    STATES,
    FirewallFailure,
    parameter_problem,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall_backends import backend_run

SBIN = ['/usr/sbin', '/sbin', '/usr/local/sbin']


def main():
    module = ansible_module(
        dict(
            state=dict(type='str', default='present', choices=list(STATES)),
            backend=dict(type='str', default='auto', choices=list(BACKENDS)),
            allow=dict(type='list', elements='dict', default=[], options=dict(
                port=dict(type='int', required=True),
                protocol=dict(type='str', default='tcp', choices=list(PROTOCOLS)),
                sources=dict(type='list', elements='str', default=[]),
            )),
            default_incoming_policy=dict(type='str', default='drop', choices=list(POLICIES)),
            forward_block_ports=dict(type='list', elements='int', default=[]),
            ssh_port=dict(type='int'),
            force=dict(type='bool', default=False),
            confirm_timeout=dict(type='int', default=0),
            zone=dict(type='str'),
            table=dict(type='str', default=DEFAULT_TABLE),
            persist_path=dict(type='path', default=DEFAULT_PERSIST_PATH),
        ),
        supports_check_mode=True,
    )
    problem = parameter_problem(module.params)
    if problem:
        module.fail_json(msg=problem)

    def which(name):
        return module.get_bin_path(name, opt_dirs=SBIN)

    def run_command(argv, data=None):
        return module.run_command(argv, data=data)

    exit_from_run(module, FirewallFailure,
                  lambda: backend_run(module.params, run_command, which, check_mode=module.check_mode))


if __name__ == '__main__':
    main()
