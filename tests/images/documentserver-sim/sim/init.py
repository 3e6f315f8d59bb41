"""PID 1 of the Document Server simulator (TEST DOUBLE, not the real Document Server).

Plays the real image's start script (run-document-server.sh) and its supervisord:
writes the secrets, waits for external dependencies, starts docservice and nginx,
regenerates "fonts" and restarts docservice, drains on SIGTERM. Also implements the
fault knobs that concern the whole container (SIM_CRASH_AFTER, the OOM exit).
"""
import datetime
import json
import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import threading
import time

import simlib

HERE = os.path.dirname(os.path.abspath(__file__))
NGINX_SECRET_CONF = simlib.CONF_DIR + "/nginx/includes/ds-secure-link-secret.conf"
API_JS = "/var/www/onlyoffice/documentserver/web-apps/apps/api/documents/api.js"
ALLFONTS_JS = "/var/www/onlyoffice/documentserver/sdkjs/common/AllFonts.js"
STATE_DIR = "/var/lib/onlyoffice/docops-sim"
JWT_RANDOM_MESSAGE = ('JWT is enabled by default. A random secret is generated automatically. '
                      'Run the command "docker exec <container> sudo documentserver-jwt-status.sh" '
                      'to get information about JWT.')


def say(text, stream=sys.stdout):
    print(text, file=stream, flush=True)


def random_secret(length):
    """Like the real image's `pwgen -s 32`: letters and digits."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _unused in range(length))


def write_file(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)


def prepare_directories():
    # The log and data folders are volumes: an empty bind mount must work too.
    for path in (simlib.LOG_DIR + "/docservice", simlib.LOG_DIR + "/converter",
                 "/var/lib/onlyoffice/documentserver/App_Data/cache/files",
                 "/var/www/onlyoffice/Data", STATE_DIR, simlib.RUN_DIR):
        os.makedirs(path, exist_ok=True)
    for name in ("nginx.error.log", "nginx.access.log"):
        open(os.path.join(simlib.LOG_DIR, name), "a").close()
    # The control file is runtime state: a restart brings every dependency back.
    if os.path.exists(simlib.DEPENDENCY_DOWN_FILE):
        os.remove(simlib.DEPENDENCY_DOWN_FILE)


def record_start():
    """State in the /var/lib/onlyoffice volume, so upgrade tests can prove it survives."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    first = os.path.join(STATE_DIR, "first-start")
    if not os.path.exists(first):
        write_file(first, now + "\n")
    with open(os.path.join(STATE_DIR, "starts.log"), "a") as handle:
        handle.write("%s %s.%s %s\n" % (now, simlib.VERSION, simlib.BUILD, socket.gethostname()))


def write_configuration():
    """local.json and the nginx secure-link secret, generated per start when not given."""
    jwt_enabled = simlib.env_flag("JWT_ENABLED", True)
    jwt_secret = os.environ.get("JWT_SECRET") or ""
    if jwt_enabled and not jwt_secret:
        jwt_secret = random_secret(32)
        say(JWT_RANDOM_MESSAGE)
    link_secret = os.environ.get("SECURE_LINK_SECRET") or random_secret(20)
    if any(char in link_secret for char in '"\\$;\n'):
        say('SECURE_LINK_SECRET must not contain ", \\, $, ; or a newline (nginx syntax)', sys.stderr)
        sys.exit(1)
    token_place = {"header": os.environ.get("JWT_HEADER") or "Authorization",
                   "inBody": simlib.env_flag("JWT_IN_BODY", False)}
    local = {"services": {"CoAuthoring": {
        "token": {"enable": {"browser": jwt_enabled, "request": {"inbox": jwt_enabled, "outbox": jwt_enabled}},
                  "inbox": token_place, "outbox": dict(token_place)},
        "secret": {kind: {"string": jwt_secret} for kind in ("inbox", "outbox", "session")},
    }}, "storage": {"fs": {"secretString": link_secret}}}
    write_file(simlib.LOCAL_JSON, json.dumps(local, indent=2) + "\n", 0o600)
    write_file(NGINX_SECRET_CONF, 'set $secure_link_secret "%s";\n' % link_secret, 0o600)
    with open(API_JS + ".in") as handle:
        write_file(API_JS, handle.read().replace("@VERSION@", simlib.VERSION))


def cgroup_oom_kills():
    """The kernel's OOM-kill count for this container's memory cgroup (v2 or v1), if visible.

    Evidence of an OOM kill that does not depend on the engine: some engines never set
    State.OOMKilled because containerd gets no OOM event from the kernel.
    """
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as handle:
                for line in handle:
                    name, _sep, value = line.partition(" ")
                    if name == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


class Supervisor:
    def __init__(self):
        self.stopping = threading.Event()
        self.children = {}  # name -> Popen
        self.expected_exit = set()

    # ----- processes
    def start(self, name, argv):
        self.expected_exit.discard(name)
        self.children[name] = subprocess.Popen(argv)

    def reap(self):
        """As PID 1 we adopt orphans (docker exec leftovers): reap everything, note our own."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            for child in self.children.values():
                if child.pid == pid:
                    child.returncode = os.waitstatus_to_exitcode(status)

    def tick(self):
        """Reap, and stop the container when a child died without being asked to."""
        self.reap()
        for name, child in self.children.items():
            if child.returncode is not None and name not in self.expected_exit:
                self.die_with(name, child.returncode)

    def die_with(self, name, code):
        cause = "killed by signal %d" % -code if code < 0 else "exit status %d" % code
        oom_kills = cgroup_oom_kills()
        if oom_kills is not None:
            cause += ", memory cgroup oom_kill=%d" % oom_kills
        say("docops-sim: %s exited unexpectedly (%s); stopping the container" % (name, cause), sys.stderr)
        self.kill_all()
        os._exit(128 - code if code < 0 else (code or 1))

    def kill_all(self):
        for child in self.children.values():
            if child.returncode is None:
                child.kill()

    def stop(self, name, sig, timeout):
        child = self.children.get(name)
        if child is None or child.returncode is not None:
            return
        self.expected_exit.add(name)
        child.send_signal(sig)
        deadline = time.monotonic() + timeout
        while child.returncode is None and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.05)
        if child.returncode is None:
            child.kill()

    def sleep(self, seconds):
        """Wait while supervising; False when SIGTERM arrived."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stopping.is_set():
                return False
            self.tick()
            time.sleep(0.05)
        return not self.stopping.is_set()

    def start_docservice(self):
        self.start("docservice", [sys.executable, "-u", os.path.join(HERE, "docservice.py")])

    # ----- phases
    def wait_for(self, dep):
        """The start script's waiting_for_connection: every second until the port answers."""
        while simlib.connect_error(dep.host, dep.port, timeout=3):
            say("Waiting for connection to the %s host on port %d" % (dep.host, dep.port), sys.stderr)
            if not self.sleep(1):
                return False
        return True

    def wait_docservice_listening(self):
        while True:
            try:
                socket.create_connection(("127.0.0.1", 8000), timeout=0.2).close()
                return True
            except OSError:
                if not self.sleep(0.2):
                    return False

    def generate_fonts(self):
        """After the first ready: 'regenerate fonts', then restart docservice, like the real one."""
        if not self.wait_docservice_listening():
            return
        say("Generating AllFonts.js, please wait...")
        if not self.sleep(simlib.env_float("SIM_FONTS_SECONDS", 3)):
            return
        write_file(ALLFONTS_JS, "// docops simulator: generated %s\nwindow['__fonts_files'] = [];\n"
                   % datetime.datetime.now().isoformat(timespec="seconds"))
        say("Done")
        self.stop("docservice", signal.SIGTERM, timeout=10)
        say("ds:docservice: stopped")
        if self.sleep(simlib.env_float("SIM_FONTS_RESTART_SECONDS", 2)):
            self.start_docservice()
            say("ds:docservice: started")

    def shutdown(self):
        say("docops-sim: SIGTERM received: draining docservice, then stopping nginx")
        self.stop("docservice", signal.SIGTERM, timeout=10)
        self.stop("nginx", signal.SIGQUIT, timeout=5)  # SIGQUIT = nginx's graceful stop
        self.reap()
        say("docops-sim: stopped cleanly")

    def crash_later(self, seconds):
        time.sleep(seconds)
        simlib.ds_log("FATAL", "uncaughtException: Error: simulated crash (SIM_CRASH_AFTER=%g)" % seconds)
        self.kill_all()
        os._exit(1)

    def run(self):
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        say("docops-sim: TEST DOUBLE of onlyoffice/documentserver — not the real Document Server "
            "(simulating %s build %s, %s edition, node %s)"
            % (simlib.VERSION, simlib.BUILD, simlib.EDITION, ascii(simlib.sim_node())))
        if simlib.PACKAGE_TYPE is None:
            say("docops-sim: SIM_EDITION=%r is unknown: use %s; refusing to start"
                % (os.environ.get("SIM_EDITION"), " or ".join(sorted(simlib.EDITIONS))), sys.stderr)
            return 2
        node_problem = simlib.sim_node_problem(simlib.sim_node())
        if node_problem:
            say("docops-sim: SIM_NODE=%s is not a usable header value (%s); refusing to start"
                % (ascii(simlib.sim_node()), node_problem), sys.stderr)
            return 2
        prepare_directories()
        record_start()
        write_configuration()
        crash_after = simlib.env_float("SIM_CRASH_AFTER", 0)
        if crash_after > 0:
            threading.Thread(target=self.crash_later, args=(crash_after,), daemon=True).start()
        for dep in simlib.dependencies():
            if dep.external and not self.wait_for(dep):
                return 0
        self.start_docservice()
        self.start("nginx", ["nginx", "-g", "daemon off;"])
        if simlib.env_flag("GENERATE_FONTS", True):
            self.generate_fonts()
        while self.sleep(0.5):
            pass
        self.shutdown()
        return 0


if __name__ == "__main__":
    sys.exit(Supervisor().run())
