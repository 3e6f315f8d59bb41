# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The checks gateway_probe runs after readiness: what each asks, what passes, all run at once.

A check is one or more requests and a verdict on their answers. The requests of all checks
run at the same time in threads, so K checks cost about the slowest round trip, not K of them
(a user waiting for a verdict on a broken gateway waits for one timeout, not for K). The
verdicts are pure functions of the answers (probe() result dicts) and of the clock, so they are
unit-tested without a network. Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib
import hmac
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.docops.onlyoffice.plugins.module_utils import _probe
from ansible_collections.docops.onlyoffice.plugins.module_utils._validate import Range, first_number_problem, header_problem

BUILTIN = ('healthcheck', 'api_js', 'baseurl', 'websocket', 'command_version', 'private_paths', 'tls')
HEALTHCHECK_PATH = '/healthcheck'
API_JS_PATH = '/web-apps/apps/api/documents/api.js'
BASEURL_PATH = '/baseurl'
COMMAND_PATH = '/coauthoring/CommandService.ashx'
WEBSOCKET_DOC_KEY = 'docops-probe'
# Our gateway marks the 502 and 504 it makes itself: "upstream=<$upstream_addr> status=<$upstream_status>".
GATEWAY_MARKER = 'x-docops-gateway-error'
_MARKER = re.compile(r'^\s*upstream=(?P<upstream>.*?)\s+status=(?P<status>.*?)\s*$')
# A JSON body of a user check is read up to this size; longer bodies do not parse.
USER_BODY_LIMIT = 1024 * 1024
DETAIL_LIMIT = 400
# A CommandService token is valid this long: a clock far off on either side shows as error 7.
TOKEN_LIFETIME = 300
MAX_WORKERS = 16
SECONDS_PER_DAY = 86400.0
COMMAND_ERRORS = {
    1: 'unknown document key',
    2: 'callback URL not correct',
    3: 'internal server error',
    4: 'no changes to save',
    5: 'unknown command',
    6: 'token rejected: jwt_secret is not the JWT secret of the Document Server (or jwt_header is not its JWT_HEADER)',
    7: 'token expired: the clocks of the Document Server and of the host running the probe differ',
}
RANGES = {
    'check_timeout': Range(0, 60, low_inclusive=False),
    'tls_min_days': Range(0, 3650),
}
STATUS_RANGE = Range(100, 599)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_METHOD = re.compile(r'^[A-Z]+$')


# ---------------------------------------------------------------- JWT (HS256) without a library

# The start of an answer's body kept in a check's result (/baseurl, CommandService's JSON).
BODY_KEPT = 200


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def hs256_signature(signing_input, secret):
    """The base64url HMAC-SHA256 of the bytes SIGNING_INPUT with the bytes SECRET (RFC 7515, A.1)."""
    return _b64url(hmac.new(secret, signing_input, hashlib.sha256).digest())


def jwt_hs256(payload, secret):
    """A compact JWT of the dict PAYLOAD signed with the text SECRET (HS256)."""
    header = _b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT'}, separators=(',', ':')).encode('utf-8'))
    body = _b64url(json.dumps(payload, separators=(',', ':')).encode('utf-8'))
    signing_input = ('%s.%s' % (header, body)).encode('ascii')
    return '%s.%s.%s' % (header, body, hs256_signature(signing_input, secret.encode('utf-8')))


def command_request(secret, header_name, now):
    """Headers and body of CommandService {"c": "version"}, the token both in the header and in the body."""
    payload = {'c': 'version', 'iat': int(now), 'exp': int(now) + TOKEN_LIFETIME}
    token = jwt_hs256(payload, secret)
    body = json.dumps({'c': 'version', 'token': token}, separators=(',', ':'))
    return {header_name: 'Bearer ' + token, 'Content-Type': 'application/json'}, body


# ---------------------------------------------------------------- what an answer says

def one_line(text, limit=DETAIL_LIMIT):
    """TEXT on one line, cut to LIMIT characters."""
    text = ' '.join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + '...'


def gateway_error(headers):
    """{upstream, status} from our gateway's X-Docops-Gateway-Error header in HEADERS (lower-case names), or None.

    nginx writes ``-`` for a value it does not have, and lists every upstream tried ("a:80, b:80").
    """
    value = (headers or {}).get(GATEWAY_MARKER)
    if value is None:
        return None
    match = _MARKER.match(value)
    if not match:
        return {'upstream': None, 'status': None, 'raw': one_line(value, 200)}
    return {'upstream': match.group('upstream'), 'status': match.group('status')}


def layer_hint(answer):
    """'gateway' when our gateway marked the answer, 'upstream' for an unmarked 5xx, else None."""
    if (answer.get('headers') or {}).get(GATEWAY_MARKER) is not None:
        return 'gateway'
    if (answer.get('status') or 0) >= 500:
        return 'upstream'
    return None


def answer_text(answer):
    """One line for an answer: 'HTTP 404', 'HTTP 502 marked by the gateway (upstream=... status=...)', 'refused (...)'."""
    text = _probe.describe(answer)
    marker = gateway_error(answer.get('headers'))
    if marker is not None:
        text += ' marked by the gateway (upstream=%s status=%s)' % (marker['upstream'], marker['status'])
    elif (answer.get('status') or 0) >= 500:
        text += ' not marked by the gateway (it came from behind it)'
    return text


def _verdict(passed, detail, answer):
    return passed, one_line(detail), answer


def _expect(expected, answer):
    return _verdict(False, 'expected %s; got %s' % (expected, answer_text(answer)), answer)


# ---------------------------------------------------------------- verdicts of the built-in checks

def healthcheck_verdict(answers, _now):
    answer = answers[0]
    ok, _observation = _probe.healthcheck_verdict(answer)
    if ok:
        return _verdict(True, answer_text(answer), answer)
    return _expect('HTTP 200 "true"', answer)


def api_js_verdict(answers, _now):
    answer = answers[0]
    content_type = (answer.get('headers') or {}).get('content-type', '')
    if answer['status'] == 200 and not answer['error'] and 'javascript' in content_type.lower():
        return _verdict(True, 'HTTP 200 %s' % content_type, answer)
    if answer['status'] == 200:
        return _verdict(False, 'expected HTTP 200 with a JavaScript Content-Type; got HTTP 200 %s'
                        % (content_type or 'without a Content-Type'), answer)
    return _expect('HTTP 200 with a JavaScript Content-Type', answer)


def baseurl_verdict(expected):
    """The verdict on /baseurl: HTTP 200 and the body equal to EXPECTED (a trailing slash aside)."""
    wanted = expected.rstrip('/')

    def verdict(answers, _now):
        answer = answers[0]
        if answer['status'] != 200 or answer['error']:
            return _expect('HTTP 200 "%s"' % wanted, answer)
        got = answer['body'].strip()
        if got.rstrip('/') == wanted:
            return _verdict(True, got, answer)
        return _verdict(False, 'expected %s; got %s (check X-Forwarded-Proto, X-Forwarded-Host and '
                        'X-Forwarded-Prefix at the gateway)' % (wanted, got or '(empty)'), answer)
    return verdict


def websocket_verdict(answers, _now):
    answer = answers[0]
    expected = 'HTTP 101 with the right Sec-WebSocket-Accept and the engine.io open frame 0{...}'
    if answer['status'] != 101:
        return _expect(expected, answer)
    if not answer.get('upgrade_ok'):
        return _verdict(False, 'expected Upgrade: websocket and Connection: upgrade with the 101; got Upgrade: %s, '
                        'Connection: %s' % (answer['headers'].get('upgrade', '(none)'),
                                            answer['headers'].get('connection', '(none)')), answer)
    if not answer.get('accept_ok'):
        return _verdict(False, 'expected Sec-WebSocket-Accept for the key sent; got %s'
                        % answer['headers'].get('sec-websocket-accept', '(none)'), answer)
    frame = answer.get('frame')
    if answer['error']:
        return _expect(expected, answer)
    if frame is None:
        return _verdict(False, 'HTTP 101 but no engine.io open frame within the timeout', answer)
    sid = None
    if frame.startswith('0{'):
        try:
            sid = json.loads(frame[1:]).get('sid')
        except (ValueError, AttributeError):
            sid = None
    if not sid:
        return _verdict(False, 'HTTP 101 but the first frame is not an engine.io open packet 0{"sid":...}: %s'
                        % one_line(frame, 60), answer)
    return _verdict(True, 'HTTP 101, accept key and engine.io open frame ok', answer)


def command_version_verdict(answers, _now):
    answer = answers[0]
    if answer['status'] != 200 or answer['error']:
        return _expect('HTTP 200 {"error": 0, ...} from CommandService', answer)
    try:
        answered = json.loads(answer['body'])
        code = answered.get('error')
    except (ValueError, AttributeError):
        return _verdict(False, 'expected JSON from CommandService; got HTTP 200 "%s"'
                        % one_line(answer['body'], 60), answer)
    if code == 0:
        return _verdict(True, 'error 0, version %s' % answered.get('version'), answer)
    return _verdict(False, 'CommandService answered error %s (%s)'
                    % (code, COMMAND_ERRORS.get(code, 'unknown error code')), answer)


def private_paths_verdict(paths):
    """The verdict on PATHS (one answer each): none may answer 2xx (public) or 5xx; 403, 404... pass."""
    def verdict(answers, _now):
        parts, failed = [], []
        for path, answer in zip(paths, answers):
            status = answer['status']
            if status is None:
                problem = 'no answer: %s' % answer_text(answer)
            elif 200 <= status < 300:
                problem = 'HTTP %d: public' % status
            elif status >= 500:
                problem = answer_text(answer)
            else:
                parts.append('%s HTTP %d' % (path, status))
                continue
            parts.append('%s %s' % (path, problem))
            failed.append(answer)
        if failed:
            return _verdict(False, 'expected no 2xx and no 5xx; got ' + ', '.join(parts), failed[0])
        slowest = max(answers, key=lambda answer: answer['timings']['total'] or 0)
        return _verdict(True, ', '.join(parts), slowest)
    return verdict


def tls_verdict(min_days):
    """The verdict on a TLS handshake: verified for the name, and valid for at least MIN_DAYS more days."""
    def verdict(answers, now):
        answer = answers[0]
        tls = answer.get('tls')
        if tls is None:
            return _verdict(False, 'expected a certificate valid for the name; got %s' % answer_text(answer), answer)
        if tls['not_after_epoch'] is None:
            return _verdict(False, '%s, but the certificate has no expiry date' % tls['version'], answer)
        days = (tls['not_after_epoch'] - now) / SECONDS_PER_DAY
        until = time.strftime('%Y-%m-%d', time.gmtime(tls['not_after_epoch']))
        text = '%s, certificate valid for %s until %s (%d days left, need %d)' % (
            tls['version'], tls['server_name'], until, int(days), min_days)
        return _verdict(days >= min_days, text, answer)
    return verdict


# ---------------------------------------------------------------- user checks

def _jmespath():
    """The jmespath module, imported only when a user check has a json_query."""
    import jmespath  # pylint: disable=import-outside-toplevel
    return jmespath


def jmespath_truthy(value):
    """JMESPath's truth: false, null, '' and empty lists and objects are false; 0 is true."""
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, (str, list, dict)) and not value):
        return False
    return True


def user_check_verdict(check, query=None):
    """The verdict on a user check: the status, then body_regex, then json_query (QUERY: compiled)."""
    regex = re.compile(check['body_regex']) if check.get('body_regex') else None

    def verdict(answers, _now):
        answer = answers[0]
        if answer['status'] != check['status'] or answer['error']:
            return _expect('HTTP %d' % check['status'], answer)
        passed = ['HTTP %d' % answer['status']]
        if regex is not None:
            if not regex.search(answer['body']):
                return _verdict(False, 'HTTP %d but the body does not match %s: "%s"' % (
                    answer['status'], check['body_regex'], one_line(answer['body'], 60)), answer)
            passed.append('body matches')
        if query is not None:
            try:
                document = json.loads(answer['body'])
            except ValueError:
                return _verdict(False, 'HTTP %d but the body is not JSON (or longer than %d bytes) for json_query: "%s"'
                                % (answer['status'], USER_BODY_LIMIT, one_line(answer['body'], 60)), answer)
            found = query.search(document)
            if not jmespath_truthy(found):
                return _verdict(False, 'HTTP %d but json_query %s gave %s' % (
                    answer['status'], check['json_query'], one_line(json.dumps(found), 80)), answer)
            passed.append('json_query true')
        return _verdict(True, ', '.join(passed), answer)
    return verdict


# ---------------------------------------------------------------- parameters

def _user_check_problem(index, check, names):
    label = 'user_checks[%d]' % index
    name = check.get('name')
    if not name or not str(name).strip():
        return '%s.name: give each user check a name' % label
    if name in names:
        return '%s.name: %s is already the name of another check; names must be unique' % (label, name)
    names.add(name)
    path = check.get('path') or ''
    if not path.startswith('/') or any(char.isspace() for char in path):
        return '%s.path: %r must start with / and contain no spaces' % (label, path)
    if not _METHOD.match(check.get('method') or ''):
        return '%s.method: %r is not an HTTP method (GET, POST...)' % (label, check.get('method'))
    problem = header_problem('%s.headers' % label, check.get('headers'))
    if problem:
        return problem
    if check.get('body_regex'):
        try:
            re.compile(check['body_regex'])
        except re.error as exc:
            return '%s.body_regex: %s is not a regular expression: %s' % (label, check['body_regex'], exc)
    return None


def compile_queries(user_checks):
    """{index: compiled jmespath expression} of USER_CHECKS with a json_query; ValueError with one line if not."""
    wanted = [(index, check) for index, check in enumerate(user_checks or []) if check.get('json_query')]
    if not wanted:
        return {}
    try:
        jmespath = _jmespath()
    except ImportError:
        raise ValueError('user_checks[%d].json_query needs the Python library jmespath where the module runs '
                         '(Debian: apt install python3-jmespath; else pip install jmespath)' % wanted[0][0])
    compiled = {}
    for index, check in wanted:
        try:
            compiled[index] = jmespath.compile(check['json_query'])
        except jmespath.exceptions.JMESPathError as exc:
            raise ValueError('user_checks[%d].json_query: %s is not a JMESPath expression: %s'
                             % (index, check['json_query'], one_line(exc, 120)))
    return compiled


def parameter_problem(params, scheme):
    """One line naming the first bad check parameter (SCHEME: the URL's), or None."""
    problem = first_number_problem(params, RANGES)
    if problem:
        return problem
    checks = params['checks'] or []
    if 'tls' in checks and scheme != 'https':
        return 'checks: tls needs an https:// url; remove it or probe the https address'
    if 'baseurl' in checks:
        try:
            _probe.split_url(params['expected_baseurl'] or '')
        except ValueError:
            return ('expected_baseurl: the baseurl check compares /baseurl with the public URL: give it as '
                    'http(s)://name[:port][/prefix], got %r' % params['expected_baseurl'])
    if 'command_version' in checks and not params['jwt_secret']:
        return 'jwt_secret: the command_version check signs its request with the JWT secret of the Document Server: give it'
    if not _HEADER_NAME.match(params['jwt_header'] or ''):
        return 'jwt_header: %r is not an HTTP header name' % params['jwt_header']
    if 'private_paths' in checks and not params['private_paths']:
        return 'private_paths: give at least one path for the private_paths check'
    for path in params['private_paths'] or []:
        if not str(path).startswith('/') or any(char.isspace() for char in str(path)):
            return 'private_paths: %r must start with / and contain no spaces' % path
    names = set(BUILTIN)
    for index, check in enumerate(params['user_checks'] or []):
        problem = (STATUS_RANGE.problem('user_checks[%d].status' % index, check.get('status'))
                   or _user_check_problem(index, check, names))
        if problem:
            return problem
    return None


# ---------------------------------------------------------------- what runs

class Check:
    """A named check: REQUESTS (each a (kind, options) pair: kind 'http', 'websocket' or 'tls') and
    VERDICT(answers, now) -> (passed, detail, the answer that speaks for the check)."""

    def __init__(self, name, requests, verdict):
        self.name = name
        self.requests = requests
        self.verdict = verdict


def plan(params, queries, now):
    """The checks PARAMS ask for, built-in ones first, in the order given; QUERIES from compile_queries()."""
    checks = []
    chosen = [name for index, name in enumerate(params['checks'] or []) if name not in params['checks'][:index]]
    for name in chosen:
        if name == 'healthcheck':
            checks.append(Check(name, [('http', {'path': HEALTHCHECK_PATH})], healthcheck_verdict))
        elif name == 'api_js':
            checks.append(Check(name, [('http', {'path': API_JS_PATH})], api_js_verdict))
        elif name == 'baseurl':
            checks.append(Check(name, [('http', {'path': BASEURL_PATH})], baseurl_verdict(params['expected_baseurl'])))
        elif name == 'websocket':
            checks.append(Check(name, [('websocket', {'doc_key': WEBSOCKET_DOC_KEY})], websocket_verdict))
        elif name == 'command_version':
            headers, body = command_request(params['jwt_secret'], params['jwt_header'], now)
            checks.append(Check(name, [('http', {'path': COMMAND_PATH, 'method': 'POST', 'headers': headers,
                                                 'body': body})], command_version_verdict))
        elif name == 'private_paths':
            paths = list(params['private_paths'])
            checks.append(Check(name, [('http', {'path': path}) for path in paths], private_paths_verdict(paths)))
        elif name == 'tls':
            checks.append(Check(name, [('tls', {})], tls_verdict(params['tls_min_days'])))
    for index, check in enumerate(params['user_checks'] or []):
        options = {'path': check['path'], 'method': check['method'], 'headers': check.get('headers') or {},
                   'body': check.get('body'), 'body_limit': USER_BODY_LIMIT}
        checks.append(Check(check['name'], [('http', options)], user_check_verdict(check, queries.get(index))))
    return checks


class Prober:
    """Sends one request of a check to BASE_URL with the module's headers and TLS options (the network side)."""

    def __init__(self, base_url, headers, timeout, validate_certs, ca_path):
        self.base_url = base_url
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.ca_path = ca_path

    def __call__(self, kind, options):
        options = dict(options)
        headers = dict(self.headers)
        # A check's own header replaces the module's of the same name, whatever its case.
        for name, value in (options.pop('headers', None) or {}).items():
            for known in [known for known in headers if known.lower() == str(name).lower()]:
                del headers[known]
            headers[name] = value
        if kind == 'tls':
            return _probe.tls_handshake(self.base_url, headers=headers, timeout=self.timeout, ca_path=self.ca_path)
        common = dict(headers=headers, timeout=self.timeout, validate_certs=self.validate_certs, ca_path=self.ca_path)
        if kind == 'websocket':
            return _probe.websocket_handshake(self.base_url, doc_key=options['doc_key'], **common)
        return _probe.probe(self.base_url, options['path'], method=options.get('method') or 'GET',
                            body=options.get('body'), body_limit=options.get('body_limit', _probe.BODY_LIMIT),
                            **common)


def result_of(check, answers, now, label=None):
    """The returned dict of CHECK from its ANSWERS."""
    passed, detail, answer = check.verdict(answers, now)
    timings = answer.get('timings') or {}
    return {
        'name': check.name,
        'label': label,
        'url': answer.get('url'),
        'passed': bool(passed),
        'status': answer.get('status'),
        'detail': detail,
        'timing': dict((step, timings.get(step)) for step in ('connect', 'tls', 'first_byte', 'total')),
        'layer_hint': layer_hint(answer),
        'gateway_error': gateway_error(answer.get('headers')),
        # What the diagnosis reads (gateway_diagnose's outside_checks): why no answer came, and the answer's start.
        'error_kind': answer.get('error_kind'),
        'error': answer.get('error'),
        'body': one_line(answer.get('body') or '', BODY_KEPT),
    }


def run(checks, send, label=None, clock=time.time, max_workers=MAX_WORKERS):
    """Send the requests of all CHECKS at once (SEND(kind, options) -> answer, in threads); return
    (list of check results in the order of CHECKS, wall seconds)."""
    requests = [(check, kind, options) for check in checks for kind, options in check.requests]
    started = time.monotonic()
    if not requests:
        return [], 0.0
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(requests)))) as pool:
        futures = [pool.submit(send, kind, options) for _check, kind, options in requests]
        answers = [future.result() for future in futures]
    seconds = round(time.monotonic() - started, 4)
    results, position, now = [], 0, clock()
    for check in checks:
        count = len(check.requests)
        results.append(result_of(check, answers[position:position + count], now, label))
        position += count
    return results, seconds


def failure_message(url, results, label=None):
    """One line naming the failed checks and why: 'checks failed at URL: a (why); b (why)'."""
    failed = [result for result in results if not result['passed']]
    where = '%s (%s)' % (url, label) if label else url
    return one_line('%d of %d checks failed at %s: %s' % (
        len(failed), len(results), where, '; '.join('%s (%s)' % (result['name'], result['detail']) for result in failed)),
        2000)
