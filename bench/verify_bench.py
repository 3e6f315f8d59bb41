"""The three benchmarks of issue 9, each against the usual alternative in the same run; writes bench/RESULTS.md.

1. Readiness noticed after the server is ready: docops.onlyoffice.gateway_probe (successes 1, default
   interval) against an ansible.builtin.uri until-loop with delay 5, each in a real ansible-playbook run.
   Ready is the simulator's own log line "Express server listening on port 8000"; noticed is a set_fact of
   now(utc=true).timestamp() right after the waiting task.
2. A gateway that keeps answering 502 (the simulator with SIM_DB_DOWN_AT_START=1): the time from the end of
   the verify role's readiness budget to the end of the failed play, with the diagnosis.
3. K=10 concurrent checks against K=1 (gateway_probe's checks_seconds), through a relay that delays each
   connection by 50 ms like a distant server, and straight to the container (where CPU dominates).

The Document Server is the SIMULATOR, a test double (tests/images/documentserver-sim), built here if
missing. Traffic goes only to 127.0.0.1 and to the containers made here, which are removed at the end,
also on failure. Needs a running Docker engine and the venv of tests/bootstrap.sh.

Run: bash tests/bootstrap.sh && .venv/bin/python bench/verify_bench.py [--no-write]
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "bed"))
import images  # noqa: E402
from slowlink import SlowLink  # noqa: E402

RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
START_MARK, END_MARK = "<!-- verify-bench:start -->", "<!-- verify-bench:end -->"
COMMAND = "bash tests/bootstrap.sh && .venv/bin/python bench/verify_bench.py"
BIN = os.path.dirname(sys.executable)
LABEL = "docops-bench=verify"
JWT_SECRET = "Docops-Bench-Jwt-Secret-0123456789-abcdefghij"
PLAYBOOK_TIMEOUT = 120

# 1: start delays spread over the until-loop's 5 s delay, so that its phase is sampled evenly.
READY_DELAYS = (3.0, 4.7, 6.3)
READY_LINE = re.compile(r"^(?P<docker>\S+) \[(?P<own>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})\] \[\w+\] .*"
                        r"nodeJS - Express server listening on port 8000")
# 2
VERIFY_BUDGET = 5
READINESS_TASK = "Wait for the container to answer its health check"
DIAGNOSIS_TASK = "Diagnose the failure on the server (read-only)"
FOLLOW_UP_PROBES = ("Probe the gateway on the server", "Probe the public URL from the controller")
# 3
ROUNDS = 5
LINK_DELAY = 0.05

TARGETS = {"ready": 0.5, "diagnosis": 2.0, "ratio": 1.5}

CALLBACK = textwrap.dedent('''\
    """Appends every task start and result of the run, with the controller's time, to $BENCH_EVENTS as JSON lines."""
    import json
    import os
    import time

    from ansible.plugins.callback import CallbackBase

    DOCUMENTATION = """
    name: bench_events
    type: aggregate
    short_description: task start and end times for bench/verify_bench.py
    description: Appends every task start and result, with the time, to the file named by BENCH_EVENTS.
    """
    KEPT = ("ready", "elapsed", "attempts", "checks_seconds", "checks_passed", "cause", "layer", "message",
            "healthy", "msg", "status", "ansible_facts")


    def kept(result):
        data = dict((key, result[key]) for key in KEPT if key in result)
        if "checks" in result:
            data["checks"] = [[check.get("name"), check.get("passed"), check.get("detail")] for check in result["checks"]]
        return data


    class CallbackModule(CallbackBase):
        CALLBACK_VERSION = 2.0
        CALLBACK_TYPE = "aggregate"
        CALLBACK_NAME = "bench_events"
        CALLBACK_NEEDS_ENABLED = True

        def write(self, **event):
            event["time"] = time.time()
            with open(os.environ["BENCH_EVENTS"], "a") as handle:
                handle.write(json.dumps(event, default=str) + "\\n")

        def v2_playbook_on_task_start(self, task, is_conditional):
            self.write(event="start", task=task.get_name())

        def result(self, kind, result):
            data = kept(result._result)
            if "results" in result._result:
                data["results"] = [kept(item) for item in result._result["results"]]
            self.write(event=kind, task=result._task.get_name(), result=data)

        def v2_runner_on_ok(self, result):
            self.result("ok", result)

        def v2_runner_on_failed(self, result, ignore_errors=False):
            self.result("failed", result)
    ''')

WAIT_PLAYS = {
    "gateway_probe": textwrap.dedent("""\
        - name: Bench - wait with gateway_probe
          hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - name: Wait for readiness (gateway_probe)
              docops.onlyoffice.gateway_probe:
                url: "{{ url }}"
                successes: 1
                budget: 60
                fail_when_not_ready: true
            - name: Note when readiness was noticed
              ansible.builtin.set_fact:
                bench_noticed: "{{ now(utc=true).timestamp() }}"
        """),
    "uri until-loop": textwrap.dedent("""\
        - name: Bench - wait with an uri until-loop
          hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - name: Wait for readiness (uri until-loop)
              ansible.builtin.uri:
                url: "{{ url }}/healthcheck"
                return_content: true
              register: health
              until: health.status == 200 and health.content == 'true'
              retries: 20
              delay: 5
            - name: Note when readiness was noticed
              ansible.builtin.set_fact:
                bench_noticed: "{{ now(utc=true).timestamp() }}"
        """),
}

# Root without sudo here: the role's become is switched off by the variable, which beats the task keyword.
VERIFY_PLAY = textwrap.dedent("""\
    - name: Bench - the verify role against a gateway that keeps answering 502
      hosts: localhost
      connection: local
      gather_facts: false
      vars:
        ansible_become: false
      tasks:
        - name: Note the time before the role
          ansible.builtin.set_fact:
            bench_before_role: "{{ now(utc=true).timestamp() }}"
        - name: Verify
          ansible.builtin.include_role:
            name: docops.onlyoffice.verify
    """)

CHECKS_PLAY = textwrap.dedent("""\
    - name: Bench - K=1 against K=10 concurrent checks
      hosts: localhost
      connection: local
      gather_facts: false
      vars:
        builtin: [healthcheck, api_js, baseurl, websocket, command_version, private_paths]
        # The container's own nginx answers /example/ with 502 by design; /admin/ is 404 and /info/ 403 there.
        container_private_paths: [/admin/, /info/, /internal/]
        mine:
          - name: index names the version
            path: /index.html
            body_regex: 'Version: 9\\.4\\.0\\. Build: 1\\.'
          - name: command service without a token says error 6
            path: /coauthoring/CommandService.ashx
            method: POST
            body: '{"c": "version"}'
            headers:
              Content-Type: application/json
            json_query: error == `6`
          - name: welcome page
            path: /welcome/
          - name: no such page
            path: /no-such-page
            status: 404
      tasks:
        - name: Wait for the simulator
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            successes: 1
            budget: 60
            fail_when_not_ready: true
        - name: K=1 checks
          docops.onlyoffice.gateway_probe:
            url: "{{ item.1 }}"
            successes: 1
            checks: [healthcheck]
          loop: "{{ range(rounds) | product(urls) | list }}"
        - name: K=10 checks
          docops.onlyoffice.gateway_probe:
            url: "{{ item.1 }}"
            successes: 1
            checks: "{{ builtin }}"
            expected_baseurl: "{{ item.1 }}"
            jwt_secret: "{{ jwt_secret }}"
            private_paths: "{{ container_private_paths }}"
            user_checks: "{{ mine }}"
          loop: "{{ range(rounds) | product(urls) | list }}"
    """)


def say(message):
    print("verify-bench: " + message, flush=True)


def docker(*args, check=True, timeout=60):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check, timeout=timeout)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def utc_seconds(text):
    """Seconds since the epoch of an ISO time without a zone (the simulator logs UTC) or ending in Z."""
    text = text.rstrip("Z")
    if "." in text:
        whole, fraction = text.split(".", 1)
        text = "%s.%s" % (whole, fraction[:6])
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc).timestamp()


class Simulator:
    """A simulator container published on 127.0.0.1:<free port>; removed on leaving the with block."""

    def __init__(self, image, env):
        self.image, self.env = image, env
        self.name = "docops-bench-%s" % uuid.uuid4().hex[:10]
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        command = ["run", "-d", "--name", self.name, "--label", LABEL, "-p", "127.0.0.1:%d:80" % self.port]
        for name, value in sorted(self.env.items()):
            command += ["-e", "%s=%s" % (name, value)]
        try:
            docker(*(command + [self.image]))
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *_exc):
        self.remove()

    def remove(self):
        docker("rm", "-fv", self.name, check=False)

    def ready_at(self):
        """The time of the docservice's "listening" line, by its own log; checked against Docker's stamp."""
        for line in docker("logs", "-t", self.name).stdout.splitlines():
            match = READY_LINE.match(line)
            if match:
                own, received = utc_seconds(match.group("own")), utc_seconds(match.group("docker"))
                if abs(own - received) > 1:
                    raise RuntimeError("the simulator's log time %s is not UTC (Docker received the line at %s)"
                                       % (match.group("own"), match.group("docker")))
                return own
        raise RuntimeError("%s never logged that docservice listens" % self.name)


class Ansible:
    """ansible-playbook runs on localhost with this working copy as docops.onlyoffice, and a callback that
    records when each task starts and ends."""

    def __init__(self, workdir):
        self.workdir = workdir
        collections = os.path.join(workdir, "collections")
        os.makedirs(os.path.join(collections, "ansible_collections", "docops"))
        os.symlink(ROOT, os.path.join(collections, "ansible_collections", "docops", "onlyoffice"))
        callbacks = os.path.join(workdir, "callback_plugins")
        os.makedirs(callbacks)
        with open(os.path.join(callbacks, "bench_events.py"), "w") as handle:
            handle.write(CALLBACK)
        # TZ=UTC: now(utc=true) is a naive datetime, whose timestamp() reads it as local time.
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_CALLBACK_PLUGINS=callbacks,
                        ANSIBLE_CALLBACKS_ENABLED="bench_events", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
                        ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_RETRY_FILES_ENABLED="false", TZ="UTC")
        self.runs = 0

    def run(self, play, extra_vars):
        """Run PLAY; return (exit code, output, events, the time the process ended)."""
        self.runs += 1
        playbook = os.path.join(self.workdir, "play-%d.yml" % self.runs)
        events = os.path.join(self.workdir, "events-%d.jsonl" % self.runs)
        with open(playbook, "w") as handle:
            handle.write(play)
        done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", playbook,
                               "-e", json.dumps(extra_vars)], env=dict(self.env, BENCH_EVENTS=events),
                              cwd=self.workdir, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, check=False)
        ended = time.time()
        with open(events) as handle:
            return done.returncode, done.stdout + done.stderr, [json.loads(line) for line in handle], ended


def event(events, kind, task):
    """The first event of KIND for the task whose name ends with TASK (roles prefix their name)."""
    for item in events:
        if item["event"] == kind and item["task"].endswith(task):
            return item
    raise RuntimeError("no %s event for task %r" % (kind, task))


def fact(events, name):
    for item in events:
        if name in (item.get("result") or {}).get("ansible_facts", {}):
            return float(item["result"]["ansible_facts"][name])
    raise RuntimeError("no fact %s was set" % name)


def must_succeed(code, output, what):
    if code != 0:
        raise RuntimeError("%s failed (exit %d):\n%s" % (what, code, output[-4000:]))


def measure_readiness(ansible, image):
    """Figure 1: seconds from ready to noticed, per way of waiting, the runs interleaved."""
    lags = dict((way, []) for way in WAIT_PLAYS)
    for delay in READY_DELAYS:
        for way, play in WAIT_PLAYS.items():
            with Simulator(image, {"GENERATE_FONTS": "false", "SIM_START_DELAY": delay}) as sim:
                code, output, events, _ended = ansible.run(play, {"url": sim.url})
                must_succeed(code, output, "waiting with %s" % way)
                lag = fact(events, "bench_noticed") - sim.ready_at()
            lags[way].append(lag)
            say("readiness, SIM_START_DELAY=%g: %s noticed it %.2f s after the simulator's log line" % (delay, way, lag))
    return lags


def measure_diagnosis(ansible, image):
    """Figure 2: the verify role against a container whose nginx answers 502 for ever."""
    with Simulator(image, {"GENERATE_FONTS": "false", "SIM_DB_DOWN_AT_START": "1"}) as sim:
        code, output, events, ended = ansible.run(VERIFY_PLAY, {
            "verify_container_url": sim.url, "verify_gateway_url": sim.url, "verify_outside_url": sim.url,
            "verify_public_url": sim.url, "verify_container_name": sim.name, "verify_checks": ["healthcheck"],
            "verify_budget": VERIFY_BUDGET, "verify_validate_certs": False})
    if code == 0:
        raise RuntimeError("the verify role passed against a server that answers 502:\n" + output[-4000:])
    readiness = event(events, "start", READINESS_TASK)["time"]
    failed = [item for item in events if item["event"] == "failed"]
    starts = [item for item in events if item["event"] == "start"]
    steps = []
    for index, item in enumerate(starts):
        if item["time"] >= readiness:
            until = starts[index + 1]["time"] if index + 1 < len(starts) else ended
            steps.append((item["task"], until - item["time"]))
    diagnosis = next((item["result"] for item in events if item["task"].endswith(DIAGNOSIS_TASK) and "result" in item), {})
    return {
        "seconds": ended - (readiness + VERIFY_BUDGET),
        "before_role_to_readiness": readiness - fact(events, "bench_before_role"),
        "failed_task": failed[-1]["task"] if failed else None,
        "message": failed[-1]["result"].get("msg") if failed else None,
        "cause": diagnosis.get("cause"),
        "diagnosis_failed": bool(failed) and failed[-1]["task"].endswith(DIAGNOSIS_TASK),
        "steps": steps,
    }


def measure_checks(ansible, image):
    """Figure 3: checks_seconds of K=1 and K=10, through the slow link and straight to the container."""
    with Simulator(image, {"GENERATE_FONTS": "false", "JWT_SECRET": JWT_SECRET}) as sim:
        link = SlowLink(("127.0.0.1", sim.port), LINK_DELAY)
        try:
            code, output, events, _ended = ansible.run(CHECKS_PLAY, {
                "url": sim.url, "urls": [link.url, sim.url], "rounds": ROUNDS, "jwt_secret": JWT_SECRET})
        finally:
            link.close()
    must_succeed(code, output, "the checks play")
    figures = {}
    for k in (1, 10):
        results = event(events, "ok", "K=%d checks" % k)["result"]["results"]
        for offset, place in enumerate(("slow link", "straight")):
            rounds = results[offset::2]
            failed = [check for item in rounds for check in item["checks"] if not check[1]]
            if failed:
                raise RuntimeError("K=%d %s: checks failed: %s" % (k, place, failed))
            figures[(k, place)] = {"seconds": [item["checks_seconds"] for item in rounds],
                                   "checks": len(rounds[0]["checks"])}
    return figures


def median(values):
    return statistics.median(values)


def verdict(value, target):
    return "met" if value <= target else "**not met**"


def machine():
    with open("/proc/meminfo") as handle:
        memory = int(re.search(r"MemTotal:\s+(\d+)", handle.read()).group(1)) / 1024 / 1024
    try:
        with open("/etc/os-release") as handle:
            system = re.search(r'PRETTY_NAME="([^"]*)"', handle.read()).group(1)
    except (OSError, AttributeError):
        system = platform.platform()
    core = subprocess.run([os.path.join(BIN, "ansible"), "--version"], capture_output=True, text=True,
                          check=False).stdout.split("\n")[0].strip()
    engine = docker("version", "-f", "{{.Server.Version}}", check=False).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                           check=False).stdout.strip()
    return ("%d cores, %.0f GiB, %s, Python %s, %s, Docker %s; commit %s%s"
            % (os.cpu_count(), memory, system, platform.python_version(), core, engine, commit or "?",
               " with uncommitted changes" if dirty else ""))


def listed(values, unit=1.0, digits=2):
    return ", ".join("%.*f" % (digits, value * unit) for value in values)


def report(lags, diagnosis, checks, image, took):
    ours, theirs = median(lags["gateway_probe"]), median(lags["uri until-loop"])
    one, ten = median(checks[(1, "slow link")]["seconds"]), median(checks[(10, "slow link")]["seconds"])
    one_straight, ten_straight = median(checks[(1, "straight")]["seconds"]), median(checks[(10, "straight")]["seconds"])
    k = checks[(10, "slow link")]["checks"]
    probes = sum(seconds for task, seconds in diagnosis["steps"] if task.endswith(FOLLOW_UP_PROBES))
    lines = [
        START_MARK,
        "## Verification benchmarks of issue 9 (%s UTC)"
        % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "",
        "Command: `%s` (Docker engine running; it builds the simulator image if missing)." % COMMAND,
        "The Document Server is the SIMULATOR, a test double (`%s`), on 127.0.0.1." % image,
        "Machine: %s. The whole bench took %.0f s." % (machine(), took),
        "",
        "| figure | ours | compared with, in the same run | result | target |",
        "|---|---|---|---|---|",
        "| 1. readiness noticed after the server's own log line saying it listens, median of %d | gateway_probe: %.2f s "
        "| `ansible.builtin.uri` until-loop, delay 5: %.2f s | %.2f s, %.1f s sooner | ≤ %.1f s: %s |"
        % (len(READY_DELAYS), ours, theirs, ours, theirs - ours, TARGETS["ready"], verdict(ours, TARGETS["ready"])),
        "| 2. a gateway that keeps answering 502: from the end of the verify role's readiness budget to the failed play "
        "| play failed %.2f s after | the end of the budget (%d s) | %.2f s | ≤ %.1f s: %s |"
        % (diagnosis["seconds"], VERIFY_BUDGET, diagnosis["seconds"], TARGETS["diagnosis"],
           verdict(diagnosis["seconds"], TARGETS["diagnosis"])),
        "| 3. K=%d concurrent checks through a link adding %d ms per connection, median of %d | K=%d: %.1f ms "
        "| K=1: %.1f ms | %.2f× | ≤ %.1f×: %s |"
        % (k, LINK_DELAY * 1000, ROUNDS, k, ten * 1000, one * 1000, ten / one, TARGETS["ratio"],
           verdict(ten / one, TARGETS["ratio"])),
        "",
        "1. Real `ansible-playbook` runs on localhost (connection local), a new simulator container for each",
        "   (`GENERATE_FONTS=false`; `SIM_START_DELAY` %s s, one run of each way per delay, so that the until-loop's"
        % ", ".join("%g" % delay for delay in READY_DELAYS),
        "   phase is sampled across its 5 s: its lag is 0 to 5 s, 2.5 s on average). Ready = the time in the docservice",
        "   line `Express server listening on port 8000`; noticed = a `set_fact` of `now(utc=true).timestamp()` right",
        "   after the waiting task. gateway_probe (successes 1, interval 0.2 s): %s s; until-loop (status 200 and body"
        % listed(lags["gateway_probe"]),
        "   `true`, delay 5): %s s." % listed(lags["uri until-loop"]),
        "2. The `docops.onlyoffice.verify` role on localhost against a simulator with `SIM_DB_DOWN_AT_START=1` (its own",
        "   nginx answers 502 for ever) as container, gateway and outside URL: `verify_checks: [healthcheck]`,",
        "   `verify_budget: %d`, `verify_check_timeout` left at 3. Figure = the end of the ansible-playbook process"
        % VERIFY_BUDGET,
        "   − (the start of the readiness task + the budget); the role began %.2f s before that task. From the start"
        % diagnosis["before_role_to_readiness"],
        "   of each task to the next (the last one to the end of the process):",
        "",
    ]
    lines += ["   - %s: %.2f s" % (task, seconds) for task, seconds in diagnosis["steps"]]
    lines += ["", "   The two probes after the readiness wait (gateway and outside URL: one attempt each, then their checks"
              " at once) took %.2f s of the %.2f s%s. The rest (the readiness task"
              % (probes, diagnosis["seconds"], ", which is why the target is not met"
                 if diagnosis["seconds"] > TARGETS["diagnosis"] else ""),
              "   beyond its budget, the diagnosis, the failure, the end of the process) took %.2f s."
              % (diagnosis["seconds"] - probes)]
    lines += [
        "",
        "   The play failed in `%s`%s, saying:"
        % (diagnosis["failed_task"], " (the diagnosis itself failed)" if diagnosis["diagnosis_failed"] else ""),
        "",
        "       %s" % diagnosis["message"],
        "",
        "3. gateway_probe's `checks_seconds`, %d rounds each, in one play, the rounds through the relay and straight"
        % ROUNDS,
        "   to the container alternating. K=1: `checks: [healthcheck]`. K=%d: the built-in checks that apply to http"
        % k,
        "   (healthcheck, api_js, baseurl, websocket, command_version with the container's JWT_SECRET, private_paths",
        "   over /admin/, /info/ and /internal/, which is 3 requests) and 4 user checks: 12 requests at once. Through",
        "   the relay, which waits %d ms before each connection: K=1 %s ms; K=%d %s ms. Straight to the container"
        % (LINK_DELAY * 1000, listed(checks[(1, "slow link")]["seconds"], 1000, 1), k,
           listed(checks[(10, "slow link")]["seconds"], 1000, 1)),
        "   a loopback round trip takes about a millisecond, so there the ratio measures CPU (12 requests parsed, a",
        "   JWT signed, threads started on 2 cores), not waiting: K=1 %s ms; K=%d %s ms; %.2f×."
        % (listed(checks[(1, "straight")]["seconds"], 1000, 1), k, listed(checks[(10, "straight")]["seconds"], 1000, 1),
           ten_straight / one_straight),
        END_MARK,
    ]
    return "\n".join(lines) + "\n"


def write_section(section):
    """Replace the delimited section of RESULTS.md, or insert it under the title; leave the rest alone."""
    with open(RESULTS) as handle:
        text = handle.read()
    if START_MARK in text and END_MARK in text:
        before, rest = text.split(START_MARK, 1)
        after = rest.split(END_MARK, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        title, newline, rest = text.partition("\n")
        if title.startswith("# "):
            text = title + newline + "\n" + section + "\n" + rest.lstrip("\n")
        else:
            text = section + "\n" + text
    with open(RESULTS, "w") as handle:
        handle.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing bench/RESULTS.md")
    args = parser.parse_args()
    # SIGTERM ends the run like Ctrl-C: through the finally blocks that remove the containers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if docker("info", check=False).returncode != 0:
        sys.exit("verify-bench: no Docker engine answers; start one (bash tests/bed/engine.sh)")
    started = time.monotonic()
    image = images.ensure("documentserver-sim")
    workdir = tempfile.mkdtemp(prefix="docops-verify-bench-")
    try:
        ansible = Ansible(workdir)
        say("1/3 readiness: gateway_probe against an uri until-loop (%d runs each)" % len(READY_DELAYS))
        lags = measure_readiness(ansible, image)
        say("2/3 the verify role against a gateway that keeps answering 502")
        diagnosis = measure_diagnosis(ansible, image)
        say("2/3 %.2f s from the end of the budget to the failed play: %s" % (diagnosis["seconds"], diagnosis["message"]))
        say("3/3 K=1 against K=10 concurrent checks (%d rounds each)" % ROUNDS)
        checks = measure_checks(ansible, image)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    section = report(lags, diagnosis, checks, image, time.monotonic() - started)
    print(section)
    if not args.no_write:
        write_section(section)
        say("wrote %s" % os.path.relpath(RESULTS, ROOT))


if __name__ == "__main__":
    main()
