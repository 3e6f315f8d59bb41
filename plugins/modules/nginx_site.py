#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: nginx_site
short_description: Write one nginx site file and activate it only when nginx accepts the whole configuration
version_added: 0.1.0
description:
  - Writes the site file O(name) with the text O(content) and enables, disables or removes it.
  - A change is staged in place (each file or link is prepared beside its path and renamed over it), then
    C(nginx -T) tests the B(whole) configuration, exactly as nginx will load it (never C(-c) on the site file
    alone). When the test passes, the change is kept and nginx is reloaded (C(nginx -s reload)), never restarted.
    When the test, the reload or a write fails, every file and link the run changed is put back as it was (a new
    one is removed), nginx is not reloaded and keeps running the old configuration, and the module fails with
    nginx's own error text on one line (the whole output is in RV(test_output)).
  - When the test fails even with the previous files back, the message says that the configuration was already
    broken before this change.
  - The test also proves that the site is active when enabled, and inactive when disabled, by the files nginx
    really loads; an include that does not match (or matches a disabled file) fails the same way.
  - Idempotent. The same text, mode and owner (and the same link) change nothing, test nothing and reload
    nothing.
  - When nginx is not running, the change is written and tested but nginx is not started; the module returns
    RV(reloaded=false) and RV(nginx_running=false) with a warning. Start nginx in a later task.
author:
  - docops.onlyoffice maintainers (@docops)
attributes:
  check_mode:
    support: full
    description:
      - Reports whether the site would change, with the diff; nothing is written, tested or reloaded.
      - When nginx is not installed yet (a fresh host, its install task not run for real), check mode warns
        and reports what would be written instead of failing.
  diff_mode:
    support: full
    description: One before/after text per changed path, the site's text for a file and the target for a link.
options:
  name:
    description:
      - File name of the site, of letters, digits, C(.), C(_) and C(-), not starting with C(.).
      - With O(layout=sites-available) the file is C(<conf_dir>/sites-available/<name>) and the link
        C(<conf_dir>/sites-enabled/<name>). With O(layout=conf.d) it is C(<conf_dir>/conf.d/<name>.conf)
        (a O(name) that already ends with C(.conf) gets no second one).
    type: str
    required: true
  content:
    description:
      - The text of the site file, written exactly as given (UTF-8, no NUL character).
      - Required with O(state=enabled). With O(state=disabled) it may be omitted to keep the text already on
        disk. Ignored with O(state=absent).
    type: raw
  state:
    description:
      - V(enabled) writes the file and makes nginx load it.
      - V(disabled) keeps the file but nginx no longer loads it. With O(layout=sites-available) the file stays in
        C(sites-available) and the link in C(sites-enabled) is removed. With O(layout=conf.d) the file is renamed
        to C(<name>.conf.disabled) in C(conf.d), which the usual C(include conf.d/*.conf) does not match (the
        module fails and puts it back if nginx loads it anyway).
      - V(absent) removes the file, the link and a disabled copy.
    type: str
    choices: [enabled, disabled, absent]
    default: enabled
  layout:
    description:
      - Where site files live.
      - V(sites-available) is Debian's layout, C(sites-available) plus links in C(sites-enabled).
      - V(conf.d) writes into C(conf.d), the layout of the nginx.org and Red Hat packages.
      - V(auto) picks V(sites-available) when C(<conf_dir>/sites-enabled) exists and C(<conf_dir>/nginx.conf)
        includes it (as Debian's package does), else V(conf.d). Without C(nginx.conf) (nginx not installed yet,
        in check mode) it picks V(sites-available) on the Debian family and V(conf.d) elsewhere. The layout used is
        returned in RV(layout).
    type: str
    choices: [auto, sites-available, conf.d]
    default: auto
  nginx_binary:
    description:
      - The nginx command, a name looked up on E(PATH) and in C(/sbin), C(/usr/sbin) and C(/usr/local/sbin),
        or an absolute path.
      - It must load the configuration in O(conf_dir) by default (the one its running master process uses).
      - By default V(nginx).
    type: str
  conf_dir:
    description: The nginx configuration directory, an absolute path.
    type: path
    default: /etc/nginx
  reload:
    description:
      - Reload nginx after a change that passed the test. With V(false) the change is still tested, and nginx
        loads it at its next reload or start.
    type: bool
    default: true
  mode:
    description:
      - Permission bits of the site file, a quoted octal string. The file belongs to the user the module runs as
        (root with C(become)); another mode or owner counts as a change.
    type: raw
    default: '0644'
notes:
  - Run it with C(become=true); nginx and its configuration belong to root.
  - The reload is a signal to the master process, which applies the new configuration within moments. A problem
    that C(nginx -t) cannot see, such as a port already used by another program, makes nginx keep the old
    configuration and write the reason to its error log only.
  - Needs nginx 1.9.2 or later (for C(nginx -T)).
  - The nginx master is found through the pid file of the configuration (or nginx's built-in one) and is
    reloaded only when that process is an nginx master.
seealso:
  - module: docops.onlyoffice.gateway_probe
'''

EXAMPLES = r'''
- name: Put the Document Server gateway in front of the container
  docops.onlyoffice.nginx_site:
    name: onlyoffice
    content: "{{ lookup('ansible.builtin.template', 'onlyoffice.conf.j2') }}"
  become: true
  register: gateway_site

- name: Disable the gateway site, keeping its file
  docops.onlyoffice.nginx_site:
    name: onlyoffice
    state: disabled
  become: true

- name: Remove Debian's default site
  docops.onlyoffice.nginx_site:
    name: default
    state: absent
  become: true

- name: The same site on a host whose nginx reads conf.d
  docops.onlyoffice.nginx_site:
    name: onlyoffice
    layout: conf.d
    content: "{{ lookup('ansible.builtin.template', 'onlyoffice.conf.j2') }}"
    mode: '0640'
  become: true
'''

RETURN = r'''
path:
  description: The file that holds the site's text (or would, or did before O(state=absent)).
  returned: always
  type: str
  sample: /etc/nginx/sites-available/onlyoffice
enabled_path:
  description: The path nginx loads the site from while it is enabled (the link, or the file in conf.d).
  returned: always
  type: str
  sample: /etc/nginx/sites-enabled/onlyoffice
layout:
  description: The layout used, V(sites-available) or V(conf.d).
  returned: success
  type: str
  sample: sites-available
reloaded:
  description: Whether this run reloaded nginx.
  returned: always
  type: bool
nginx_running:
  description: Whether nginx was running when the change was to be reloaded (it is not started when not).
  returned: when the site changed and O(reload=true), not in check mode
  type: bool
test_output:
  description: What C(nginx -T) printed when it rejected the configuration.
  returned: when the test failed
  type: str
  sample: |-
    nginx: [emerg] unknown directive "proxy_passs" in /etc/nginx/sites-enabled/onlyoffice:12
    nginx: configuration file /etc/nginx/nginx.conf test failed
diff:
  description: One before/after text per changed path.
  returned: changed, in diff mode
  type: list
  elements: dict
'''

from ansible_collections.docops.onlyoffice.plugins.module_utils._ansible_module import ansible_module, exit_from_run
from ansible_collections.docops.onlyoffice.plugins.module_utils._nginx_site import (
    DEFAULT_CONF_DIR,
    DEFAULT_MODE,
    LAYOUTS,
    STATES,
    SiteFailure,
    SiteRun,
    parameter_problem,
    resolve_binary,
)


def main():
    module = ansible_module(
        dict(
            name=dict(type='str', required=True),
            content=dict(type='raw'),
            state=dict(type='str', default='enabled', choices=list(STATES)),
            layout=dict(type='str', default='auto', choices=list(LAYOUTS)),
            nginx_binary=dict(type='str'),
            conf_dir=dict(type='path', default=DEFAULT_CONF_DIR),
            reload=dict(type='bool', default=True),
            mode=dict(type='raw', default=DEFAULT_MODE),
        ),
        supports_check_mode=True,
    )
    problem = parameter_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    binary, binary_problem = resolve_binary(module.params['nginx_binary'], module.get_bin_path)
    exit_from_run(module, SiteFailure,
                  lambda: SiteRun(module.params, module.run_command, binary, binary_problem, check_mode=module.check_mode))


if __name__ == '__main__':
    main()
