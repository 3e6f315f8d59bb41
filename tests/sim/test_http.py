"""Routes of the container's nginx and the plain docservice endpoints (shared container)."""
import base64
import hashlib
import json
import re
import socket
import time

from simhelpers import LINK_SECRET, LOG_DIR

ISO = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\]"
STARTING = ISO + r" \[WARN\] \[localhost\] \[docId\] \[userId\] nodeJS - Express server starting\.\.\."
LISTENING = (ISO + r" \[WARN\] \[localhost\] \[docId\] \[userId\] nodeJS - Express server listening on port 8000"
             r" in production-linux mode\. Version: 9\.4\.0\. Build: 1(?!\d)")
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "office.example.test",
             "X-Forwarded-Prefix": "/ds-vpath"}


def inside_curl(sim, *args):
    """curl from inside the container to its own nginx (the only client /info and /internal accept)."""
    return sim.exec("curl", "-s", "-i", "--max-time", "5", *args)


def split_response(raw):
    head, _sep, body = raw.replace("\r\n", "\n").partition("\n\n")
    return head, body


def test_logs_banner_and_start_lines(shared_sim):
    logs = shared_sim.logs()
    assert "TEST DOUBLE of onlyoffice/documentserver" in logs
    assert "JWT is enabled by default" not in logs  # JWT_SECRET was given
    starting, listening = re.search(STARTING, logs), re.search(LISTENING, logs)
    assert starting and listening and starting.start() < listening.start()
    out_log = shared_sim.read(LOG_DIR + "/docservice/out.log")
    assert re.search(STARTING, out_log) and re.search(LISTENING, out_log)
    assert "/opt/docops-sim/init.py" in shared_sim.read("/proc/1/cmdline").replace("\0", " ")


def test_welcome_is_static(shared_sim):
    answer = shared_sim.get("/welcome/")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Document Server is running" in answer.text and "TEST DOUBLE" in answer.text


def test_root_redirects_to_welcome(shared_sim):
    answer = shared_sim.get("/")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "http://127.0.0.1:%d/welcome/" % shared_sim.port
    answer = shared_sim.get("/", headers=FORWARDED)
    assert answer.headers["Location"] == "https://office.example.test/ds-vpath/welcome/"


def test_api_js_is_static_and_never_cached(shared_sim):
    for path in ("/web-apps/apps/api/documents/api.js", "/9.4.0-0123abcd/web-apps/apps/api/documents/api.js"):
        answer = shared_sim.get(path)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "no-cache"  # nginx's `expires -1`
        assert "Expires" in answer.headers
        assert "DocsAPI.DocEditor = function" in answer.text and "'9.4.0'" in answer.text


def test_healthcheck(shared_sim):
    answer = shared_sim.get("/healthcheck")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.text == "true"


def test_index_html(shared_sim):
    answer = shared_sim.get("/index.html")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    # DESIGN.md 7a, the real 9.4.0 community image; package type 0 = community
    assert re.fullmatch(r"Server is functioning normally\. Version: 9\.4\.0\. Build: 1\. Release date: .+\. "
                        r"Package type: 0\. Customer Id: \. Multitenancy: false\. Alias: ", answer.text)


def test_baseurl_follows_forwarded_headers(shared_sim):
    assert shared_sim.get("/baseurl").text == "http://127.0.0.1:%d" % shared_sim.port
    assert shared_sim.get("/baseurl", headers=FORWARDED).text == "https://office.example.test/ds-vpath"
    first_items = {"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "a.example.test:8443, b.example.test",
                   "X-Forwarded-Prefix": "/one, /two"}
    assert shared_sim.get("/baseurl", headers=first_items).text == "https://a.example.test:8443/one"
    # an unusable scheme falls back to the request's own
    assert shared_sim.get("/baseurl", headers={"X-Forwarded-Proto": "ftp"}).text.startswith("http://127.0.0.1:")


def test_example_is_proxied_to_nothing(shared_sim):
    assert shared_sim.get("/example/").status_code == 502


def test_unknown_paths_reach_docservice(shared_sim):
    answer = shared_sim.get("/no-such-page")
    assert answer.status_code == 404 and "Cannot GET /no-such-page" in answer.text


def test_info_and_internal_only_from_loopback_inside(shared_sim):
    assert shared_sim.get("/info/info.json").status_code == 403
    assert shared_sim.get("/internal/cluster/inactive").status_code == 403
    head, body = split_response(inside_curl(shared_sim, "http://127.0.0.1/info/info.json"))
    assert head.startswith("HTTP/1.1 200")
    assert "Access-Control-Allow-Origin: *" in head
    info = json.loads(body)
    assert {"connectionsStat", "licenseInfo", "serverInfo", "quota"} <= set(info)
    assert info["serverInfo"]["buildVersion"] == "9.4.0" and info["serverInfo"]["buildNumber"] == 1
    assert info["serverInfo"]["packageType"] == 0 and info["licenseInfo"]["packageType"] == 0  # community


def test_connection_upgrade_only_for_websocket(shared_sim):
    """What docservice receives from nginx, via the simulator's loopback-only echo endpoint."""
    def seen(*headers):
        _head, body = split_response(inside_curl(shared_sim, *headers, "http://127.0.0.1/internal/docops-sim/headers"))
        return json.loads(body)

    assert seen("-H", "Upgrade: websocket")["connection"] == "upgrade"
    assert seen("-H", "Upgrade: h2c")["connection"] == "close"
    plain = seen()
    assert plain["connection"] == "close"
    assert plain["x-forwarded-proto"] == "http" and plain["x-forwarded-host"] == "127.0.0.1"
    assert plain["x-forwarded-for"] == "127.0.0.1"


def test_cache_files_behind_secure_link(shared_sim):
    shared_sim.exec("sh", "-c", "mkdir -p /var/lib/onlyoffice/documentserver/App_Data/cache/files/data/simkey"
                    " && printf hello > /var/lib/onlyoffice/documentserver/App_Data/cache/files/data/simkey/out.txt")
    uri = "/cache/files/data/simkey/out.txt/out.txt"

    def link(expires, secret=LINK_SECRET):
        digest = hashlib.md5(("%d%s%s" % (expires, uri, secret)).encode()).digest()
        md5 = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        return "%s?md5=%s&expires=%d&filename=out.txt" % (uri, md5, expires)

    valid = shared_sim.get(link(int(time.time()) + 600))
    assert valid.status_code == 200 and valid.text == "hello"
    assert valid.headers["Content-Disposition"] == "attachment; filename*=UTF-8''out.txt"
    assert shared_sim.get(uri).status_code == 403
    assert shared_sim.get(link(int(time.time()) + 600, secret="wrong")).status_code == 403
    assert shared_sim.get(link(int(time.time()) - 60)).status_code == 410


def test_body_limit_is_100m(shared_sim):
    # Over the limit: nginx refuses on the announced length alone.
    with socket.create_connection(("127.0.0.1", shared_sim.port), timeout=5) as sock:
        sock.sendall(b"POST /coauthoring/CommandService.ashx HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Length: 104857601\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 413")
    # Under it: 90 MB reach docservice, which answers its parse error.
    answer = shared_sim.post("/coauthoring/CommandService.ashx", data=b"x" * (90 * 1024 * 1024), timeout=30)
    assert answer.status_code == 200 and answer.json() == {"error": 2}


def test_nginx_logs_beside_docservice_logs(shared_sim):
    shared_sim.get("/healthcheck")
    assert "GET /healthcheck" in shared_sim.read(LOG_DIR + "/nginx.access.log")
    shared_sim.read(LOG_DIR + "/nginx.error.log")  # exists (its 502 lines are tested with docservice down)


def test_first_start_is_recorded_in_the_lib_volume(shared_sim):
    first = shared_sim.read("/var/lib/onlyoffice/docops-sim/first-start").strip()
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", first)
    assert " 9.4.0.1 " in shared_sim.read("/var/lib/onlyoffice/docops-sim/starts.log")
