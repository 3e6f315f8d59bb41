"""Secrets through Ansible's real exit path: ansible-playbook -vvv on localhost, output grepped.

Unit tests that patch exit_json never see Ansible's no_log filter, which replaces every value
of a no_log parameter in a module's whole result with VALUE_SPECIFIED_IN_NO_LOG_PARAMETER.
These runs do: the play registers the result, shows it, and the file on disk is compared
with the operator's value.
"""
import json
import textwrap

import pytest

from .ansible_runs import run_local

PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
OPERATOR_SECRET = "Op3rator-Jwt-Secret-From-The-Vault-0123456789"


def play(collections, tmp_path, tasks, extra_vars=None):
    """Run TASKS on localhost at -vvv; return (exit code, everything printed)."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          tasks:
        """) + textwrap.indent(textwrap.dedent(tasks), "    "))
    return run_local(collections, playbook, extra_vars, verbose=True)


def test_operator_value_is_stored_and_never_printed(collections, tmp_path):
    path = tmp_path / "jwt_secret"
    code, output = play(collections, tmp_path, """\
        - name: Keep the operator's secret
          docops.onlyoffice.persistent_secret:
            path: "{{ secret_path }}"
            value: "{{ operator_secret }}"
          register: kept
          no_log: true
        - name: Show what the module returned
          ansible.builtin.debug:
            var: kept
        - name: The module hands back no secret, so the role must use its own variable
          ansible.builtin.assert:
            that:
              - kept.secret is not defined
              - kept.source == 'supplied'
        """, {"secret_path": str(path), "operator_secret": OPERATOR_SECRET})
    assert code == 0, output
    assert path.read_text().strip() == OPERATOR_SECRET
    assert OPERATOR_SECRET not in output
    assert PLACEHOLDER not in output.split("Show what the module returned")[1].split("TASK [")[0]


def test_generated_secret_is_returned_but_not_printed(collections, tmp_path):
    path = tmp_path / "generated"
    code, output = play(collections, tmp_path, """\
        - name: Generate
          docops.onlyoffice.persistent_secret:
            path: "{{ secret_path }}"
          register: kept
          no_log: true
        - name: The returned secret is the stored one (no placeholder)
          ansible.builtin.assert:
            that:
              - kept.secret | length == 48
              - kept.secret != 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
              - kept.source == 'generated'
            quiet: true
        """, {"secret_path": str(path)})
    assert code == 0, output
    stored = path.read_text().strip()
    assert len(stored) == 48 and stored not in output


def test_refused_value_fails_without_printing_it(collections, tmp_path):
    """No no_log on the task: the failure message and the invocation must still not show it."""
    refused = "Refused-Because-Of-The-Quote'-0123456789abcdef"
    code, output = play(collections, tmp_path, """\
        - name: Keep a value that breaks the container's quoting
          docops.onlyoffice.persistent_secret:
            path: "{{ secret_path }}"
            value: "{{ refused }}"
        """, {"secret_path": str(tmp_path / "bad"), "refused": refused})
    assert code != 0
    assert "value contains" in output
    assert refused not in output


def test_failed_loop_item_prints_no_secret(collections, tmp_path):
    """The role's pattern for several passwords: a loop whose second item fails."""
    good, bad = "Good-Password-0123456789", "short$pw"
    code, output = play(collections, tmp_path, """\
        - name: Keep the service passwords
          docops.onlyoffice.persistent_secret:
            path: "{{ secret_dir }}/{{ item.key }}"
            value: "{{ item.value }}"
            min_length: 16
          loop:
            - {key: postgresql, value: "{{ good }}"}
            - {key: redis, value: "{{ bad }}"}
          loop_control:
            label: "{{ item.key }}"
          no_log: true
        """, {"secret_dir": str(tmp_path), "good": good, "bad": bad})
    assert code != 0
    assert (tmp_path / "postgresql").read_text().strip() == good
    assert good not in output and bad not in output


@pytest.mark.parametrize("bad", [
    {"health_timeout": 99999},
    {"health_timeout": "abc"},
    {"health_timeout": "inf"},
    {"env": {"POSTGRES_PASSWORD": "{{ password }}", "API_TOKEN": "short-but-secret"}},
])
def test_container_module_failing_on_a_parameter_prints_no_secret(collections, tmp_path, bad):
    """A module that fails before its own checks ran must not echo env or command secrets back."""
    password = "Companion-Password-For-The-Test-0123"
    args = {"name": "docops-never-created", "image": "docops-testbed/none:1", "pull": "never",
            "env": {"POSTGRES_PASSWORD": "{{ password }}"}, "command": ["redis-server", "--requirepass", "{{ password }}"]}
    args.update(bad)
    code, output = play(collections, tmp_path, """\
        - name: A companion with a bad parameter
          docops.onlyoffice.service_container: %s
        """ % json.dumps(args), {"password": password})
    assert code != 0
    assert "docops-never-created" in output  # the arguments were echoed (-vvv), with the secrets masked
    assert password not in output and "short-but-secret" not in output
