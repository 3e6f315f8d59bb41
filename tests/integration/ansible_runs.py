"""Real ansible-playbook runs for the integration tests: one place for the command line, the
environment (this working copy as the collection) and how results come back."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import yaml

BIN = os.path.dirname(sys.executable)


def run_local(collections, playbook, extra_vars=None, verbose=False):
    """Run PLAYBOOK on localhost (inventory 'localhost,', this Python); return (exit code, everything printed).
    VERBOSE runs it at -vvv."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false")
    command = [os.path.join(BIN, "ansible-playbook")] + (["-vvv"] if verbose else []) + [
        "-i", "localhost,", str(playbook), "-e", json.dumps(extra_vars or {})]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout + done.stderr


class ModuleCalls:
    """Calls of one module on the test bed servers of INVENTORY (group 'servers') over SSH, each call a
    task of one play; the registered results are copied back to WORKDIR and returned."""

    def __init__(self, module, inventory, collections, workdir):
        self.module, self.inventory, self.collections, self.workdir = module, inventory, str(collections), workdir
        self.plays = 0

    def run(self, *calls):
        """Run each call ({'args': module args, 'check': bool, 'diff': bool}) as one task of one play;
        return the registered results, in order."""
        self.plays += 1
        results = os.path.join(self.workdir, "results-%d.json" % self.plays)
        tasks = []
        for index, call in enumerate(calls):
            task = {"name": "%s call %d" % (self.module.split(".")[-1], index), self.module: call["args"],
                    "register": "call_%d" % index, "ignore_errors": True}
            if call.get("check"):
                task["check_mode"] = True
            if call.get("diff"):
                task["diff"] = True
            tasks.append(task)
        registered = ", ".join("call_%d" % index for index in range(len(calls)))
        tasks.append({
            "name": "Keep the results on the controller",
            "ansible.builtin.copy": {"content": "{{ [%s] | to_json }}" % registered, "dest": results, "mode": "0600"},
            "delegate_to": "localhost", "become": False,
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        })
        playbook = os.path.join(self.workdir, "play-%d.yml" % self.plays)
        with open(playbook, "w") as handle:
            yaml.safe_dump([{"hosts": "servers", "gather_facts": False, "tasks": tasks}], handle, sort_keys=False)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_PIPELINING="1", ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_LOCALHOST_WARNING="0")
        done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, playbook],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0 and os.path.exists(results), done.stdout + done.stderr
        with open(results) as handle:
            return json.load(handle)

    def one(self, args, check=False, diff=False):
        return self.run({"args": args, "check": check, "diff": diff})[0]
