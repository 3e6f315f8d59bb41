"""The nginx_proxy role refuses settings that would not work, before anything changes, through
real ansible-playbook runs on localhost. Only the role's validation task file runs (tasks_from),
so nothing reaches this machine; facts are set with set_fact (cacheable)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import textwrap

import pytest

from .ansible_runs import run_local


def validate(collections, tmp_path, role_vars, os_family="Debian"):
    """Run the role's validation with ROLE_VARS; return (exit code, output)."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - name: Pretend to be the server described by the test
              ansible.builtin.set_fact:
                cacheable: true
                os_family: "{{ family }}"
                distribution: "{{ family }}"
            - name: Run the role's checks only
              ansible.builtin.include_role:
                name: docops.onlyoffice.nginx_proxy
                tasks_from: validate.yml
            - name: Reached only when the settings passed
              ansible.builtin.debug:
                msg: "settings accepted, upstreams {{ __nginx_proxy.upstreams | join(' ') }}"
        """))
    return run_local(collections, playbook, dict(role_vars, family=os_family))


def test_defaults_pass(collections, tmp_path):
    code, output = validate(collections, tmp_path, {})
    assert code == 0, output
    assert "settings accepted" in output


def test_the_default_upstream_is_where_the_documentserver_role_publishes(collections, tmp_path):
    code, output = validate(collections, tmp_path, {})
    assert code == 0, output
    assert "settings accepted, upstreams 127.0.0.1:8080" in output
    code, output = validate(collections, tmp_path, {"documentserver_bind_addresses": ["127.0.0.2"],
                                                    "documentserver_http_port": 8181})
    assert code == 0, output
    assert "settings accepted, upstreams 127.0.0.2:8181" in output


def test_a_localhost_upstream_is_refused_with_the_reason_and_the_fix(collections, tmp_path):
    code, output = validate(collections, tmp_path, {"nginx_proxy_upstreams": ["localhost:8181"]})
    assert code != 0
    # The refusal names the variable, the reason and the fix with the same port.
    assert "nginx_proxy_upstreams: 'localhost:8181' is refused" in output
    assert "::1" in output and "use 127.0.0.1:8181" in output
    assert "settings accepted" not in output


@pytest.mark.parametrize("role_vars, message", [
    ({"nginx_proxy_vpath": "ds-vpath/"}, "nginx_proxy_vpath: 'ds-vpath/' is refused"),
    ({"nginx_proxy_client_max_body_size": "10m"}, "nginx_proxy_client_max_body_size: '10m' is refused"),
    ({"nginx_proxy_https_port": 70000}, "nginx_proxy_https_port must be >= 1 and <= 65535, got 70000"),
    ({"nginx_proxy_tls": "acme"}, "nginx_proxy_server_names"),
    ({"nginx_proxy_tls": "provided"}, "set nginx_proxy_tls_certificate_src"),
    ({"nginx_proxy_tls": "provided", "nginx_proxy_tls_certificate_src": "/nonexistent/office.crt",
      "nginx_proxy_tls_certificate_key_src": "/nonexistent/office.key"},
     "/nonexistent/office.crt is not a readable file on the controller"),
    ({"nginx_proxy_tls": "acme", "nginx_proxy_server_names": ["office.example.test"],
      "nginx_proxy_acme_directory_url": "http://ca.example.test/dir"}, "must be an https:// URL"),
])
def test_bad_settings_stop_the_play_with_one_line(collections, tmp_path, role_vars, message):
    code, output = validate(collections, tmp_path, role_vars)
    assert code != 0
    assert message in output, output
    assert "settings accepted" not in output


def test_an_unsupported_family_is_refused(collections, tmp_path):
    code, output = validate(collections, tmp_path, {}, os_family="Gentoo")
    assert code != 0
    assert "nginx_proxy supports the Debian and RHEL families" in output
