#!/usr/bin/env python3
"""A sample webhook receiver for Herald's demo and integration tests (HTTP/1.1, keep-alive, asyncio).

It verifies Standard Webhooks signatures (with the official `standardwebhooks` package when it is
installed, else with the same algorithm in a few lines of hmac), records every request, and
behaves according to the request path, so one receiver can play many endpoints:

    /ok/...                 200
    /fail/<n>/...           500 for the first n attempts of each webhook-id, then 200
    /fail-nth/<k>/<n>/...   500 for the first n attempts of the k-th webhook-id to arrive on this path
    /status/<code>/...      always <code>
    /sleep/<ms>/...         waits <ms>, then 200
    /flaky/<percent>/...    fails <percent>% of first attempts at random (seeded), then 200
    /big/<bytes>/...        200 with a body of <bytes> bytes
    /nul/...                200 with a body holding a NUL byte (a hostile receiver)
    /retry-after/<s>/<n>/...  429 with `Retry-After: <s>` for the first n attempts of each webhook-id, then 200
    /down-until/<unix>/...  503 until that Unix time, then 200 (an endpoint that is down for a while)
    /slack/...              a Slack incoming webhook: 200 "ok" for a JSON object with a non-empty "text" (at most
                            40000 characters, &<> escaped as Slack asks) or "blocks"; else 400 invalid_payload / no_text
    /teams/...              a Teams incoming webhook: 200 "1" for a MessageCard with a summary or text (and facts
                            of {"name", "value"} strings); else 400 with the reason
    /token                  an OAuth 2.0 token endpoint: {"access_token": "tok-<n>", "expires_in": 3600}

Control endpoints (not recorded):
    POST   /_secrets        {"secrets": ["whsec_..."]}  secrets to verify with (added to --secret ones)
    GET    /_received       every recorded request as JSON (method, path, headers, body, verified, at)
    GET    /_stats          counts: requests, unique webhook ids, duplicates, verified, failures answered
    DELETE /_received       forget everything recorded

    python3 deploy/receiver.py --port 9100 [--secret whsec_...] [--log requests.jsonl]
        [--tls-cert server.pem --tls-key server.key [--client-ca ca.pem]]   (HTTPS; mutual TLS)
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import random
import sys
import time

try:  # the official Standard Webhooks library, when available
    from standardwebhooks.webhooks import Webhook as _OfficialWebhook  # type: ignore
except Exception:  # pragma: no cover - optional
    _OfficialWebhook = None


class State:
    def __init__(self, secrets, log_path, seed):
        self.secrets = list(secrets)
        self.received = []
        self.attempts = {}
        self.arrivals = {}
        self.log = open(log_path, "a") if log_path else None
        self.random = random.Random(seed)
        self.answered_failures = 0
        self.connections = 0

    def verify(self, headers, body):
        msg_id = headers.get("webhook-id")
        ts = headers.get("webhook-timestamp")
        sig = headers.get("webhook-signature")
        if not (msg_id and ts and sig) or not self.secrets:
            return None
        for secret in self.secrets:
            if _OfficialWebhook is not None:
                try:
                    _OfficialWebhook(secret).verify(body, {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig})
                    return True
                except Exception:
                    continue
            try:
                key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret, validate=True)
            except ValueError:
                continue  # a partner's own secret (another scheme): not a Standard Webhooks key
            expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
            for candidate in sig.split(" "):
                version, _, value = candidate.partition(",")
                if version == "v1" and hmac.compare_digest(value, expected):
                    return True
        return False


def respond(writer, status, body=b"", content_type="application/json", keep_alive=True, extra_headers=""):
    reason = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found", 410: "Gone",
              429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Status")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    head += "Connection: keep-alive\r\n" if keep_alive else "Connection: close\r\n"
    head += extra_headers
    writer.write(head.encode() + b"\r\n" + body)


def slack_answer(body):
    """What Slack's incoming webhooks answer (api.slack.com/messaging/webhooks#handling_errors)."""
    try:
        message = json.loads(body)
    except ValueError:
        return 400, b"invalid_payload"
    if not isinstance(message, dict):
        return 400, b"invalid_payload"
    text = message.get("text")
    if not (isinstance(text, str) and text.strip()) and not message.get("blocks"):
        return 400, b"no_text"
    if isinstance(text, str):
        bare = text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
        if len(text) > 40000 or "<" in bare or ">" in bare or "&" in bare:
            return 400, b"invalid_payload"
    return 200, b"ok"


def teams_answer(body):
    """What a Teams incoming webhook (Office 365 connector) answers to a message card."""
    try:
        card = json.loads(body)
    except ValueError:
        return 400, b"Bad payload received by generic incoming webhook."
    if not isinstance(card, dict) or card.get("@type") != "MessageCard":
        return 400, b"Bad payload received by generic incoming webhook."
    if not any(isinstance(card.get(k), str) and card[k].strip() for k in ("summary", "text")):
        return 400, b"Summary or Text is required."
    for section in card.get("sections", []):
        for fact in section.get("facts", []) if isinstance(section, dict) else [None]:
            if not (isinstance(fact, dict) and isinstance(fact.get("name"), str) and isinstance(fact.get("value"), str)):
                return 400, b"Bad payload received by generic incoming webhook."
    return 200, b"1"


async def behave(state, path, headers):
    parts = [p for p in path.split("?")[0].split("/") if p]
    kind = parts[0] if parts else "ok"
    msg_id = headers.get("webhook-id", "")
    attempt = state.attempts.get((path, msg_id), 0) + 1
    state.attempts[(path, msg_id)] = attempt
    try:
        if kind == "down-until" and len(parts) > 1:
            return 503 if time.time() < float(parts[1]) else 200
        if kind == "retry-after" and len(parts) > 2:
            return 429 if attempt <= int(parts[2]) else 200
        if kind == "fail-nth" and len(parts) > 2:
            seen = state.arrivals.setdefault(path, [])
            if msg_id not in seen:
                seen.append(msg_id)
            return 500 if seen.index(msg_id) + 1 == int(parts[1]) and attempt <= int(parts[2]) else 200
        if kind == "fail" and len(parts) > 1:
            return 500 if attempt <= int(parts[1]) else 200
        if kind == "status" and len(parts) > 1:
            return int(parts[1])
        if kind == "sleep" and len(parts) > 1:
            await asyncio.sleep(int(parts[1]) / 1000)
            return 200
        if kind == "flaky" and len(parts) > 1:
            return 503 if attempt == 1 and state.random.random() * 100 < float(parts[1]) else 200
    except ValueError:
        return 400
    return 200


async def handle(state, reader, writer):
    state.connections += 1
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            try:
                method, target, _ = line.decode("latin-1").split(" ", 2)
            except ValueError:
                respond(writer, 400, b'{"error":"bad request line"}', keep_alive=False)
                break
            headers = {}
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or "0")
            body = await reader.readexactly(length) if length else b""
            if target.startswith("/_"):
                await control(state, method, target, body, writer)
            else:
                verified = state.verify(headers, body)
                status = await behave(state, target, headers)
                parts = [p for p in target.split("?")[0].split("/") if p]
                shaped = {"slack": slack_answer, "teams": teams_answer}.get(parts[0] if parts else "")
                answer = None
                if shaped:
                    status, answer = shaped(body)
                record = {"method": method, "path": target, "headers": headers, "body": body.decode("utf-8", "replace"),
                          "verified": verified, "status": status, "at": time.time()}
                state.received.append(record)
                if status >= 300:
                    state.answered_failures += 1
                if state.log:
                    state.log.write(json.dumps(record) + "\n")
                    state.log.flush()
                if answer is not None:
                    respond(writer, status, answer, content_type="text/plain")
                elif parts[:1] == ["token"]:
                    state.tokens = getattr(state, "tokens", 0) + 1
                    respond(writer, 200, json.dumps({"access_token": f"tok-{state.tokens}", "token_type": "Bearer",
                                                     "expires_in": 3600}).encode())
                elif parts[:1] == ["nul"]:
                    respond(writer, status, b"a\x00b", content_type="text/plain")
                elif parts[:1] == ["big"] and len(parts) > 1 and parts[1].isdigit():
                    respond(writer, status, b"x" * int(parts[1]), content_type="text/plain")
                elif parts[:1] == ["retry-after"] and status == 429:
                    respond(writer, status, b'{"error":"slow down"}', extra_headers=f"Retry-After: {parts[1]}\r\n")
                else:
                    respond(writer, status, b'{"ok":true}' if status < 300 else b'{"error":"simulated failure"}')
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        writer.close()


async def control(state, method, target, body, writer):
    if target.startswith("/_secrets") and method == "POST":
        try:
            state.secrets.extend(json.loads(body or b"{}").get("secrets", []))
        except ValueError:
            respond(writer, 400, b'{"error":"expected {\\"secrets\\": [...]}"}')
            return
        respond(writer, 200, b'{"ok":true}')
    elif target.startswith("/_received") and method == "GET":
        respond(writer, 200, json.dumps(state.received).encode())
    elif target.startswith("/_received") and method == "DELETE":
        state.received.clear()
        state.attempts.clear()
        state.answered_failures = 0
        respond(writer, 200, b'{"ok":true}')
    elif target.startswith("/_stats"):
        ids = [r["headers"].get("webhook-id") for r in state.received if r["status"] < 300]
        stats = {"requests": len(state.received), "succeeded": len(ids), "unique_succeeded": len(set(ids)),
                 "duplicates": len(ids) - len(set(ids)), "failures_answered": state.answered_failures,
                 "verified": sum(1 for r in state.received if r["verified"]),
                 "unverified": sum(1 for r in state.received if r["verified"] is False),
                 "connections": state.connections}
        respond(writer, 200, json.dumps(stats).encode())
    else:
        respond(writer, 404, b'{"error":"unknown control endpoint"}')


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--secret", action="append", default=[])
    parser.add_argument("--log")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM) ...")
    parser.add_argument("--tls-key", help="... and this key (PEM)")
    parser.add_argument("--client-ca", help="require a client certificate signed by this CA (mutual TLS)")
    args = parser.parse_args()
    state = State(args.secret, args.log, args.seed)
    context = None
    if args.tls_cert:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(args.client_ca)
    server = await asyncio.start_server(lambda r, w: handle(state, r, w), args.host, args.port, backlog=2048, ssl=context)
    print(f"receiver listening on http://{args.host}:{args.port} "
          f"(verifier: {'standardwebhooks' if _OfficialWebhook else 'built-in'})", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
