#!/usr/bin/env python3
"""A call engine for outcall, in Python 3 with the standard library only.

It works for outcall through the engine protocol (docs/engines.md) the way a real SIP engine or
voice agent would, except that its calls are make-believe: it

  1. claims call tasks for its lines, as many as it has free channels (a long poll: the server
     answers as soon as work is waiting);
  2. dials each one: asks outcall first (`dial`), and only calls when outcall says yes;
  3. heartbeats all its leases in one request every `heartbeatIntervalMs`, telling the call's phase
     (ringing, early_media, answered), and hangs up a call whose lease comes back with `cancel`;
  4. "talks" for a short random time and reports the call's raw facts (`result`): a SIP final code,
     sometimes a ring timeout or an early-media class. outcall decides the result status;
  5. on SIGINT or SIGTERM stops claiming, gives back the tasks it claimed but has not dialled
     (`release`), hangs up its calls (telling outcall they ended by shutdown) and exits.

Every request is signed with signature v2 (docs/signature.md) using an engine key:
`outcall engine key create --name my-engine` prints one.

    export OUTCALL_ENGINE_KEY=…  OUTCALL_ENGINE_SECRET=…
    python3 examples/engine.py --url http://127.0.0.1:8060 --channels 2 --exit-when-idle 10

Read it from the top: the protocol is in `Outcall` (signing and the five requests) and in
`Engine` (what to do when).
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import secrets
import signal
import sys
import threading
import time
import urllib.parse

# ---------------------------------------------------------------------------------------------------
# Talking to outcall: signature v2 and the five engine requests.
# ---------------------------------------------------------------------------------------------------


class OutcallError(Exception):
    """outcall answered with an envelope whose code is not 200 (e.g. 409 "lease ended")."""

    def __init__(self, code, message, request_id=None):
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.request_id = request_id


class Outcall:
    """The engine protocol over HTTP: POST JSON to /engine/v1/<name>, signed with signature v2."""

    def __init__(self, base_url, app_key, app_secret, timeout_s=40):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SystemExit(f"--url must be http(s)://host[:port], not {base_url!r}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        # A proxy may serve outcall under a prefix it strips: requests go to prefix + path, and the
        # signature covers the path outcall sees (docs/signature.md).
        self.prefix = parts.path.rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret.encode("utf-8")
        self.timeout_s = timeout_s
        # One keep-alive connection per thread (http.client connections are not thread-safe).
        self.local = threading.local()

    def sign(self, method, path, body, timestamp, nonce):
        """Signature v2: HMAC-SHA256 (key: the secret) of eight lines joined by '\\n'.

        The path here is plain ASCII without a query, so it is its own canonical form and the
        canonical query is the empty line.
        """
        text = "\n".join(
            [
                "v2",
                self.app_key,
                timestamp,
                nonce,
                method,
                path,
                "",  # canonical query: none
                hashlib.sha256(body).hexdigest(),
            ]
        )
        return hmac.new(self.app_secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def post(self, name, payload):
        """POSTs one request and returns the envelope's `data`; raises OutcallError otherwise."""
        path = f"/engine/v1/{name}"
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(time.time() * 1000))
        nonce = secrets.token_urlsafe(16)  # 22 characters of A–Z a–z 0–9 _ -, new for every request
        headers = {
            "content-type": "application/json",
            "appKey": self.app_key,
            "version": "v2",
            "timestamp": timestamp,
            "nonce": nonce,
            "signature": self.sign("POST", path, body, timestamp, nonce),
        }
        status, raw, retry_after = self._send(self.prefix + path, body, headers)
        try:
            envelope = json.loads(raw)
        except ValueError:
            raise OutcallError(status, f"HTTP {status}: not JSON: {raw[:200]!r}") from None
        if envelope.get("code") != 200:
            error = OutcallError(envelope.get("code"), envelope.get("resultMsg"), envelope.get("requestId"))
            error.retry_after = retry_after
            raise error
        return envelope["data"]

    def _send(self, target, body, headers):
        connection = getattr(self.local, "connection", None)
        for attempt in (1, 2):
            if connection is None:
                make = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
                connection = make(self.host, self.port, timeout=self.timeout_s)
                self.local.connection = connection
            try:
                connection.request("POST", target, body, headers)
                response = connection.getresponse()
                return response.status, response.read(), response.getheader("Retry-After")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: once more on a new one (a new
                # request would be signed anew, but this one never arrived, so it may be resent).
                connection.close()
                connection = self.local.connection = None
                if attempt == 2:
                    raise
            except Exception:
                connection.close()
                self.local.connection = None
                raise

    # The five requests of the protocol.

    def claim(self, max_tasks, wait_ms, lines):
        request = {"max": max_tasks, "waitMs": wait_ms}
        if lines:
            request["lines"] = lines
        return self.post("claim", request)

    def dial(self, lease_id):
        return self.post("dial", {"leaseId": lease_id})

    def heartbeat(self, leases):
        return self.post("heartbeat", {"leases": leases})

    def result(self, facts):
        return self.post("result", facts)

    def release(self, lease_ids):
        return self.post("release", {"leaseIds": lease_ids})


# ---------------------------------------------------------------------------------------------------
# Make-believe telephony: what happens on a call.
# ---------------------------------------------------------------------------------------------------

# (weight, what the far end does). A real engine learns these from SIP; this one draws them.
OUTCOMES = [
    (40, {"sipCode": 200, "sipReason": "OK"}),  # answered
    (12, {"sipCode": 486, "sipReason": "Busy Here"}),
    (10, {"sipCode": 480, "sipReason": "Temporarily Unavailable"}),
    (7, {"sipCode": 404, "sipReason": "Not Found"}),
    (5, {"sipCode": 603, "sipReason": "Decline"}),
    (5, {"sipCode": 503, "sipReason": "Service Unavailable"}),
    # Nobody answers before the line's ring timeout: we CANCEL, the far end answers 487.
    (9, {"sipCode": 487, "sipReason": "Request Terminated", "endedBy": "ring_timeout"}),
    # The network plays an announcement ("the number you dialled is switched off") before failing:
    # a real engine classifies the early media; outcall trusts a class with confidence >= 0.8.
    (4, {"sipCode": 480, "earlyMedia": {"class": "power_off", "confidence": 0.95}}),
    (4, {"sipCode": 404, "earlyMedia": {"class": "out_of_service", "confidence": 0.92}}),
    (4, {"sipCode": 480, "earlyMedia": {"class": "vacant_number", "confidence": 0.9}}),
]

CUSTOMER_LINES = ["喂，你好。", "嗯，你说。", "多少钱？", "我再考虑一下。", "好的，谢谢。", "不需要，谢谢。"]


class Call:
    """One claimed task, from the claim to the result. Its lease is renewed by the heartbeat thread."""

    def __init__(self, task, ttl_ms):
        self.task = task
        self.lease_id = task["leaseId"]
        self.phase = None  # None until ringing; then "ringing", "early_media", "answered"
        self.dialled = False
        self.cancel = threading.Event()  # set by a heartbeat answer's cancel, or at shutdown
        self.cancel_reason = None
        self.renewed(ttl_ms)

    def renewed(self, ttl_ms):
        # Lease times are relative: timed with the monotonic clock, so the wall clock may jump.
        self.lease_ends = time.monotonic() + ttl_ms / 1000

    def lease_lost(self):
        return time.monotonic() >= self.lease_ends


# ---------------------------------------------------------------------------------------------------
# The engine.
# ---------------------------------------------------------------------------------------------------


class Engine:
    def __init__(self, outcall, options):
        self.outcall = outcall
        self.options = options
        self.random = random.Random(options.seed)
        self.random_lock = threading.Lock()
        self.calls = {}  # lease id -> Call
        self.lock = threading.Condition()  # guards self.calls; notified when a channel frees
        self.stopping = threading.Event()
        self.heartbeat_interval_s = 5.0  # until the first claim answer says otherwise
        self.last_work = time.monotonic()
        self.counts = {"claimed": 0, "dialled": 0, "refused": 0, "released": 0, "cancelled": 0}
        self.statuses = {}

    def log(self, message):
        print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] += n

    def draw(self, fn):
        with self.random_lock:  # one seeded generator shared by the threads
            return fn(self.random)

    # --- the claim loop (main work thread) -----------------------------------------------------

    def claim_loop(self):
        backoff = 0.5
        while not self.stopping.is_set():
            with self.lock:
                while len(self.calls) >= self.options.channels and not self.stopping.is_set():
                    self.lock.wait(0.5)
                free = self.options.channels - len(self.calls)
                idle = not self.calls
            if self.stopping.is_set():
                break
            wait_ms = self.options.claim_wait_ms
            if self.options.exit_when_idle is not None and idle:
                # Never wait past the moment the engine should give up.
                left = self.options.exit_when_idle - (time.monotonic() - self.last_work)
                if left <= 0:
                    self.log(f"no work for {self.options.exit_when_idle:g} s: exiting")
                    self.stopping.set()
                    break
                wait_ms = max(0, min(wait_ms, int(left * 1000)))
            try:
                answer = self.outcall.claim(min(free, 100), wait_ms, self.options.lines)
                backoff = 0.5
            except OutcallError as error:
                if error.code == 429:  # over the engine key's rate limit
                    time.sleep(float(getattr(error, "retry_after", None) or 1))
                    continue
                self.log(f"claim refused: {error}")
                if error.code in (401, 403):
                    self.stopping.set()  # wrong key or disabled: trying again will not help
                    break
                time.sleep(backoff)
                backoff = min(backoff * 2, 10)
                continue
            except OSError as error:
                self.log(f"claim failed ({error}); trying again in {backoff:g} s")
                time.sleep(backoff)
                backoff = min(backoff * 2, 10)
                continue
            self.heartbeat_interval_s = answer["heartbeatIntervalMs"] / 1000
            tasks = answer["tasks"]
            if not tasks:
                continue
            with self.lock:  # the flag is set under this lock too: see shutdown()
                stopped = self.stopping.is_set()
                if not stopped:
                    self.last_work = time.monotonic()
                    for task in tasks:
                        call = Call(task, task["leaseTtlMs"])
                        self.calls[call.lease_id] = call
                        self.counts["claimed"] += 1
                        threading.Thread(target=self.run_call, args=(call,), daemon=True).start()
            if stopped:
                # Claimed while we were told to stop: give the tasks back at once, undialled.
                self.release([t["leaseId"] for t in tasks])
                break

    # --- one call ------------------------------------------------------------------------------

    def run_call(self, call):
        try:
            self.place_call(call)
        except Exception as error:  # noqa: BLE001 - one call's failure must not stop the engine
            self.log(f"lease {call.lease_id}: {error!r}")
        finally:
            with self.lock:
                self.calls.pop(call.lease_id, None)
                self.last_work = time.monotonic()
                self.lock.notify_all()

    def place_call(self, call):
        task = call.task
        line = task["line"]
        who = f"task {task['callTaskId']} (job {task['robotCallJobId']}) {task['calledPhoneNumber']} from line {line['phoneLineId']}"
        if self.stopping.is_set() or call.cancel.is_set():
            return  # released at shutdown with the other undialled leases
        # dial: outcall must say yes BEFORE the INVITE goes out (the job may just have been paused,
        # or the number put on the do-not-call list). A refused dial ends the lease: do not call.
        try:
            call.renewed(self.outcall.dial(call.lease_id)["leaseTtlMs"])
        except OutcallError as error:
            self.count("refused")
            self.log(f"{who}: dial refused ({error.message}); not calling")
            return
        call.dialled = True
        self.count("dialled")

        facts = self.draw(lambda r: dict(r.choices([o for _, o in OUTCOMES], [w for w, _ in OUTCOMES])[0]))
        facts["leaseId"] = call.lease_id
        facts.setdefault("endedBy", "remote")
        talk_low, talk_high = self.options.talk_seconds
        ring_s = self.draw(lambda r: r.uniform(0.05, max(0.05, talk_low)))
        ring_timeout_s = line.get("ringTimeoutSeconds", 60)
        max_call_s = line.get("maxCallSeconds", 600)

        facts["ringAt"] = now_ms()
        call.phase = "early_media" if "earlyMedia" in facts else "ringing"
        ended = self.hold(call, min(ring_s, ring_timeout_s))
        if not ended and facts["sipCode"] == 200:
            facts["answerAt"] = now_ms()
            facts["answeredBy"] = self.draw(lambda r: "machine" if r.random() < 0.1 else "human")
            call.phase = "answered"
            facts["turns"] = self.conversation(task)
            ended = self.hold(call, min(self.draw(lambda r: r.uniform(talk_low, talk_high)), max_call_s))
        if ended:
            # We hung up: cancelled by outcall (job paused/stopped/deleted), shutdown, or lease lost.
            facts["endedBy"] = ended
            if "answerAt" not in facts:
                # Hung up before an answer: no final code from the far end (our CANCEL → 487).
                facts.update(sipCode=487, sipReason="Request Terminated")
                facts.pop("earlyMedia", None)
        facts["endAt"] = now_ms()
        self.report(call, facts, who)

    def hold(self, call, seconds):
        """Waits for the far end; returns how we ended the call if we had to hang up, else None."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            if call.cancel.wait(min(left, max(0.0, call.lease_ends - time.monotonic()))):
                return "shutdown" if call.cancel_reason == "shutdown" else "cancel"
            if call.lease_lost():
                # The heartbeats could not renew the lease (outcall unreachable): stop the call
                # now rather than talk on a lease nobody vouches for, and say so in the result.
                return "local"
        return None

    def conversation(self, task):
        flow = task.get("dialogFlow") or {}
        script = flow.get("script") or {}
        name = (task.get("customer") or {}).get("name") or ""
        robot = [script.get("opening") or "您好，打扰您一分钟。"] + list(script.get("pitch") or [])[:2]
        turns = []
        for line in robot:
            turns.append({"type": "ROBOT", "text": line.replace("${姓名}", name)})
            turns.append({"type": "PERSON", "text": self.draw(lambda r: r.choice(CUSTOMER_LINES))})
        return turns

    def report(self, call, facts, who):
        # A result is idempotent by lease id: after a network error, the same facts may be sent again.
        for attempt in range(5):
            try:
                answer = self.outcall.result(facts)
                break
            except OutcallError as error:
                if error.code == 429:
                    time.sleep(float(getattr(error, "retry_after", None) or 1))
                    continue
                # 409: the lease was reaped as lost (we were too late) — outcall has recorded it.
                self.log(f"{who}: result refused ({error})")
                return
            except OSError as error:
                self.log(f"{who}: result failed ({error}); sending it again")
                time.sleep(0.5 * 2**attempt)
        else:
            self.log(f"{who}: result not delivered; outcall will record the call as lost")
            return
        status = answer["resultStatus"]
        if facts["endedBy"] in ("cancel", "shutdown") and "answerAt" not in facts:
            self.count("cancelled")
            status = f"not recorded ({facts['endedBy']} before answer)"
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
        extra = " early media " + facts["earlyMedia"]["class"] if "earlyMedia" in facts else ""
        self.log(f"{who}: SIP {facts['sipCode']}{extra}, ended by {facts['endedBy']} → {status}")

    # --- heartbeats (one thread, one batched request for all leases) ----------------------------

    def heartbeat_loop(self):
        while not self.stopping.wait(self.heartbeat_interval_s):
            self.heartbeat_once()

    def heartbeat_once(self):
        with self.lock:
            calls = list(self.calls.values())
        if not calls:
            return
        leases = [{"leaseId": c.lease_id, **({"phase": c.phase} if c.phase else {})} for c in calls]
        try:
            answer = self.outcall.heartbeat(leases)
        except (OutcallError, OSError) as error:
            # The leases run on; a call whose lease runs out hangs up by itself (Call.lease_lost).
            self.log(f"heartbeat failed: {error}")
            return
        by_id = {c.lease_id: c for c in calls}
        for lease in answer["leases"]:
            call = by_id.get(lease["leaseId"])
            if call is None:
                continue
            call.renewed(lease["leaseTtlMs"])
            if lease.get("cancel") and not call.cancel.is_set():
                # The job was paused, stopped or deleted, or the lease ended: hang up now.
                call.cancel_reason = lease.get("reason") or "cancel"
                self.log(f"lease {call.lease_id}: cancelled by outcall ({call.cancel_reason}); hanging up")
                call.cancel.set()

    # --- release and shutdown ------------------------------------------------------------------

    def release(self, lease_ids):
        if not lease_ids:
            return
        try:
            released = self.outcall.release(lease_ids)["released"]
            self.count("released", released)
            self.log(f"released {released} undialled task(s)")
        except (OutcallError, OSError) as error:
            self.log(f"release failed ({error}); the leases will lapse after their TTL")

    def shutdown(self, grace_s):
        """Stops claiming, gives back what was not dialled, hangs up the rest and reports them."""
        with self.lock:  # under the lock: the claim loop either sees the flag or has added its calls
            self.stopping.set()
            calls = list(self.calls.values())
        undialled = []
        for call in calls:
            call.cancel_reason = "shutdown"
            call.cancel.set()
            if not call.dialled:
                undialled.append(call.lease_id)
        # A call thread between "claimed" and "dial" sees the flag and does not dial; if its dial
        # is already on the way, the release answers 0 for it and the call reports a shutdown.
        self.release(undialled)
        deadline = time.monotonic() + grace_s
        with self.lock:
            while self.calls and time.monotonic() < deadline:
                self.lock.wait(0.2)
            if self.calls:
                self.log(f"{len(self.calls)} call(s) still reporting at exit; outcall will reap them")


def now_ms():
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------------------------------
# Options.
# ---------------------------------------------------------------------------------------------------


def seconds_range(text):
    low, _, high = text.partition("-")
    try:
        low, high = float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SECONDS or MIN-MAX, not {text!r}") from None
    if low < 0 or high < low:
        raise argparse.ArgumentTypeError(f"expected 0 <= MIN <= MAX, not {text!r}")
    return low, high


def line_ids(text):
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected line ids like 4,5 not {text!r}") from None


def credentials(options):
    """The engine key: environment first, then a JSON file, then argv (visible in `ps`: avoid)."""
    key = os.environ.get("OUTCALL_ENGINE_KEY")
    secret = os.environ.get("OUTCALL_ENGINE_SECRET")
    if options.credentials:
        with open(options.credentials, encoding="utf-8") as f:
            stored = json.load(f)
        key = key or stored.get("appKey") or stored.get("engineKey")
        secret = secret or stored.get("appSecret") or stored.get("engineSecret")
    if options.app_secret_file:
        with open(options.app_secret_file, encoding="utf-8") as f:
            secret = f.read().strip()
    key = options.app_key or key
    if options.app_secret:
        print("warning: --app-secret is visible to other users in `ps`; prefer OUTCALL_ENGINE_SECRET", file=sys.stderr)
        secret = options.app_secret
    if not key or not secret:
        raise SystemExit("no engine key: set OUTCALL_ENGINE_KEY and OUTCALL_ENGINE_SECRET, or --credentials FILE")
    return key, secret


def parse_options(argv):
    p = argparse.ArgumentParser(description="A make-believe call engine working for outcall (docs/engines.md).")
    p.add_argument("--url", default=os.environ.get("OUTCALL_URL", "http://127.0.0.1:8060"), help="outcall's base URL")
    p.add_argument("--app-key", help="the engine key (default: $OUTCALL_ENGINE_KEY)")
    p.add_argument("--app-secret", help="its secret; prefer $OUTCALL_ENGINE_SECRET or --app-secret-file")
    p.add_argument("--app-secret-file", help="a file holding the secret")
    p.add_argument("--credentials", help='a JSON file {"appKey", "appSecret"}')
    p.add_argument("--channels", type=int, default=2, help="calls at once (default 2)")
    p.add_argument("--lines", type=line_ids, help="the line ids to work for, e.g. 4,5 (default: any)")
    p.add_argument("--talk-seconds", type=seconds_range, default=(1.0, 4.0), help="MIN-MAX of an answered call (default 1-4)")
    p.add_argument("--exit-when-idle", type=float, metavar="SECONDS", help="exit when no work came for that long")
    p.add_argument("--claim-wait-ms", type=int, default=10000, help="the claim's long-poll (default 10000, at most 25000)")
    p.add_argument("--seed", type=int, help="seed of the random outcomes (the same seed draws the same)")
    options = p.parse_args(argv)
    if not 1 <= options.channels <= 1000:
        p.error("--channels must be 1..1000")
    if not 0 <= options.claim_wait_ms <= 25000:
        p.error("--claim-wait-ms must be 0..25000")
    return options


def main(argv=None):
    options = parse_options(argv)
    key, secret = credentials(options)
    engine = Engine(Outcall(options.url, key, secret), options)

    # SIGINT (Ctrl-C) and SIGTERM: stop. The main thread only waits, so it notices at once.
    stop = threading.Event()
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: stop.set())

    lines = ",".join(map(str, options.lines)) if options.lines else "any"
    engine.log(f"engine on {options.url}: {options.channels} channel(s), lines {lines}")
    claimer = threading.Thread(target=engine.claim_loop, daemon=True)
    heartbeats = threading.Thread(target=engine.heartbeat_loop, daemon=True)
    claimer.start()
    heartbeats.start()
    while not stop.wait(0.2) and claimer.is_alive():
        pass
    if stop.is_set():
        engine.log("stopping: no more claims")
    engine.shutdown(grace_s=10)
    # A claim still in flight brings back tasks we must give back: wait for its answer.
    claimer.join(options.claim_wait_ms / 1000 + 5)
    summary = ", ".join(f"{k} {v}" for k, v in engine.counts.items())
    results = ", ".join(f"{k} {v}" for k, v in sorted(engine.statuses.items()))
    engine.log(f"done: {summary}; results: {results or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
