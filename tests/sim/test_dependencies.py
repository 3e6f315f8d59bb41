"""External and internal dependencies: start-up waits, /healthcheck false/true, the log lines.

Editions (DESIGN.md 7a): the community image keeps editor data in memory, so Redis going
down after the start leaves /healthcheck `true`; the enterprise image turns it `false`.
Both wait for the Redis port before the start, and both turn `false` for the broker or
the database.
"""
import json
import re
import time

import pytest

from simhelpers import LOG_DIR, docker, wait_until

WAITING = "Waiting for connection to the 127.0.0.1 host on port %d"
# A TCP listener inside the simulator container stands in for a database/broker/cache.
LISTENER = (
    "import os, socket, sys\n"
    "port = int(sys.argv[1])\n"
    "server = socket.create_server(('127.0.0.1', port), backlog=64)\n"
    "open('/tmp/listener-%d.pid' % port, 'w').write(str(os.getpid()))\n"
    "while True:\n"
    "    server.accept()[0].close()\n"
)


def start_listener(sim, port):
    docker("exec", "-d", sim.name, "python3", "-c", LISTENER, str(port))


def stop_listener(sim, port):
    sim.exec("sh", "-c", "kill $(cat /tmp/listener-%d.pid) && rm /tmp/listener-%d.pid" % (port, port))


def wait_health(sim, expected, timeout=5):
    wait_until(lambda: sim.health() == expected, timeout, what="/healthcheck %s" % expected)


def assert_health_stays(sim, expected, seconds=3):
    """/healthcheck answers `expected` throughout (docservice re-checks once a second)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert sim.health() == expected
        time.sleep(0.25)


def set_down(sim, *names):
    """The simulator's control file: these internal dependencies are down until it is removed."""
    if names:
        sim.exec("sh", "-c", "echo %s > /run/docops-sim/dependency-down" % " ".join(names))
    else:
        sim.exec("rm", "-f", "/run/docops-sim/dependency-down")


def test_waits_for_each_external_dependency_then_tracks_it(sims):
    ports = (15432, 15672, 16379)  # database, broker, cache
    sim = sims.start({"DB_HOST": "127.0.0.1", "DB_PORT": "15432",
                      "AMQP_URI": "amqp://guest:guest@127.0.0.1:15672",
                      "REDIS_SERVER_HOST": "127.0.0.1", "REDIS_SERVER_PORT": "16379"})
    for port in ports:
        sim.wait_log(WAITING % port, count=2)  # repeated every second until the port answers
        start_listener(sim, port)
    sim.wait_healthy()
    logs = sim.logs()
    assert logs.rindex(WAITING % 15432) < logs.index(WAITING % 15672)
    assert logs.rindex(WAITING % 15672) < logs.index(WAITING % 16379)
    assert logs.rindex(WAITING % 16379) < logs.index("Express server starting...")

    # the broker goes away and comes back: no restart needed
    stop_listener(sim, 15672)
    wait_health(sim, "false")
    sim.wait_log("[AMQP] Error: connect ECONNREFUSED 127.0.0.1:15672", count=2)
    assert "healthCheck error Error: connect ECONNREFUSED 127.0.0.1:15672" in sim.read(LOG_DIR + "/docservice/out.log")
    start_listener(sim, 15672)
    wait_health(sim, "true", timeout=3)

    # the same for the database
    stop_listener(sim, 15432)
    wait_health(sim, "false")
    assert "healthCheck error Error: connect ECONNREFUSED 127.0.0.1:15432" in sim.logs()
    start_listener(sim, 15432)
    wait_health(sim, "true", timeout=3)

    # community edition: the cache was waited for at the start, but docservice keeps editor
    # data in memory, so the cache going away afterwards changes nothing
    stop_listener(sim, 16379)
    assert_health_stays(sim, "true")
    assert "redisClient error" not in sim.logs()
    assert "16379" not in sim.read(LOG_DIR + "/docservice/out.log")


def test_enterprise_edition_tracks_redis(sims):
    sim = sims.start({"SIM_EDITION": "enterprise", "REDIS_SERVER_HOST": "127.0.0.1", "REDIS_SERVER_PORT": "16379"})
    sim.wait_log(WAITING % 16379, count=2)  # the start script waits for the cache like the community one
    start_listener(sim, 16379)
    sim.wait_healthy()
    assert sim.logs().rindex(WAITING % 16379) < sim.logs().index("Express server starting...")
    assert "Package type: 1. Customer Id: ." in sim.get("/index.html").text
    info = json.loads(sim.exec("curl", "-s", "http://127.0.0.1/info/info.json"))
    assert info["serverInfo"]["packageType"] == 1 and info["licenseInfo"]["packageType"] == 1

    # editor data lives in Redis here: the cache going away turns /healthcheck false
    stop_listener(sim, 16379)
    wait_health(sim, "false")
    sim.wait_log("redisClient error Error: connect ECONNREFUSED 127.0.0.1:16379", count=2)
    assert "healthCheck error Error: connect ECONNREFUSED 127.0.0.1:16379" in sim.read(LOG_DIR + "/docservice/out.log")
    start_listener(sim, 16379)
    wait_health(sim, "true", timeout=3)

    # the broker, as in the community edition
    set_down(sim, "rabbitmq")
    wait_health(sim, "false")
    sim.wait_log("[AMQP] Error: connect ECONNREFUSED 127.0.0.1:5672")
    set_down(sim)
    wait_health(sim, "true", timeout=3)


def test_unknown_edition_is_refused(sims):
    sim = sims.start({"SIM_EDITION": "professional"})
    state = sim.wait_exited(15)
    assert state["ExitCode"] == 2
    logs = sim.logs()
    assert "SIM_EDITION='professional' is unknown: use community or enterprise; refusing to start" in logs
    assert "Express server starting" not in logs


def test_database_down_at_start_never_opens_the_port(sims):
    sim = sims.start({"SIM_DB_DOWN_AT_START": "1"})
    line = "getTableColumns error: Error: connect ECONNREFUSED 127.0.0.1:5432"
    logs = sim.wait_log(line)
    assert re.search(r"\[\S+\] \[ERROR\] \[localhost\] \[docId\] \[userId\] nodeJS - " + re.escape(line), logs)
    assert line in sim.read(LOG_DIR + "/docservice/out.log")
    wait_health(sim, "502")
    sim.wait_log("Express server starting...")
    for _attempt in range(10):  # 2.5 s: well past a normal start, still no port
        assert sim.health() == "502"
        time.sleep(0.25)
    assert sim.get("/welcome/").status_code == 200
    assert sim.state()["Running"] and "Express server listening" not in sim.logs()
    error_log = sim.read(LOG_DIR + "/nginx.error.log")
    assert "connect() failed (111: Connection refused) while connecting to upstream" in error_log
    assert 'upstream: "http://127.0.0.1:8000/healthcheck"' in error_log


@pytest.mark.parametrize("name, edition, line", [
    ("rabbitmq", "community", "[AMQP] Error: connect ECONNREFUSED 127.0.0.1:5672"),
    ("redis", "enterprise", "redisClient error Error: connect ECONNREFUSED 127.0.0.1:6379"),
    ("postgresql", "community", "healthCheck error Error: connect ECONNREFUSED 127.0.0.1:5432"),
])
def test_dependency_down_knob(sims, name, edition, line):
    sim = sims.start({"SIM_DEPENDENCY_DOWN": name, "SIM_EDITION": edition})
    sim.wait_log("Express server listening")
    wait_health(sim, "false")  # docservice answers, and says a dependency is down
    sim.health()
    sim.wait_log(line, count=2)
    assert line in sim.read(LOG_DIR + "/docservice/out.log")


def test_internal_dependency_down_and_back_without_restart(sims):
    sim = sims.start()  # community edition (the default)
    sim.wait_healthy()
    set_down(sim, "redis")
    assert_health_stays(sim, "true")  # editor data is kept in memory
    assert "redisClient error" not in sim.logs()
    set_down(sim, "rabbitmq")
    wait_health(sim, "false")
    sim.wait_log("[AMQP] Error: connect ECONNREFUSED 127.0.0.1:5672")
    set_down(sim)
    wait_health(sim, "true", timeout=3)
