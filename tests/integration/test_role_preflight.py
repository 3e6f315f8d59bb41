"""The documentserver role's preflight, through real ansible-playbook runs on localhost.

Only the preflight task file runs (tasks_from), and only read-only commands reach this
machine (df). Facts are set with set_fact (cacheable, so they land in ansible_facts), which
lets a run pretend to be another operating system family.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import textwrap

import pytest

from .ansible_runs import run_local

DEBIAN = {"os_family": "Debian", "distribution": "Debian", "memtotal_mb": 8192, "swaptotal_mb": 0}


def preflight(collections, tmp_path, facts, role_vars):
    """Run the role's preflight with FACTS and ROLE_VARS; return (exit code, output)."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - name: Pretend to be the server described by the test
              ansible.builtin.set_fact:
                cacheable: true
                os_family: "{{ facts.os_family }}"
                distribution: "{{ facts.distribution }}"
                memtotal_mb: "{{ facts.memtotal_mb }}"
                swaptotal_mb: "{{ facts.swaptotal_mb }}"
            - name: Run the preflight checks only
              ansible.builtin.include_role:
                name: docops.onlyoffice.documentserver
                tasks_from: preflight.yml
              vars:
                documentserver_preflight_min_disk_gb: 0
        """))
    return run_local(collections, playbook, dict(role_vars, facts=facts), verbose=True)


def test_a_supported_server_passes(collections, tmp_path):
    code, output = preflight(collections, tmp_path, DEBIAN, {})
    assert code == 0, output


def test_an_unsupported_family_fails_with_a_plain_message(collections, tmp_path):
    code, output = preflight(collections, tmp_path, dict(DEBIAN, os_family="Gentoo", distribution="Gentoo"), {})
    assert code != 0
    assert "documentserver supports the Debian family" in output and "Gentoo" in output


def test_free_disk_is_measured_on_the_server(collections, tmp_path):
    """No mount facts at all (gather_facts is off): the disk check still gets a number, from df."""
    code, output = preflight(collections, tmp_path, DEBIAN, {"documentserver_preflight_min_disk_gb": 100000})
    assert code != 0
    assert "GB free for /var/lib/docker; at least 100000 GB" in output
    assert "template" not in output.lower().split("documentserver preflight failed")[-1][:400]


@pytest.mark.parametrize("variable, value, rule", [
    ("documentserver_jwt_secret", "Too-Short-Operator-Secret", "is too short: 25 characters, at least 32"),
    ("documentserver_secure_link_secret", "Operator-Secret-With-A-Dollar-$-0123456789", "contains '$'"),
    ("documentserver_postgresql_password", "Pg Password With Spaces 0123", "whitespace"),
])
def test_a_bad_operator_secret_stops_the_play_without_showing_it(collections, tmp_path, variable, value, rule):
    role_vars = {variable: value, "documentserver_companions": True}
    code, output = preflight(collections, tmp_path, DEBIAN, role_vars)
    assert code != 0
    assert variable + " " in output and rule in output
    assert value not in output.replace(json.dumps(dict(role_vars, facts=DEBIAN)), "")


@pytest.mark.parametrize("variable, value", [
    ("documentserver_ready_stable_seconds", -1),
    ("documentserver_backup_keep", 0),
    ("documentserver_log_max_files", 1000),
    ("documentserver_ready_timeout", "nan"),
    ("documentserver_ready_max_restarts", 1e30),
])
def test_a_role_number_out_of_range_stops_the_play_first(collections, tmp_path, variable, value):
    code, output = preflight(collections, tmp_path, DEBIAN, {variable: value})
    assert code != 0
    assert variable + " must be a whole number from " in output
