#!/usr/bin/env python3
"""A local SMTP server for tests (aiosmtpd from PyPI): accepts every mail on 127.0.0.1:PORT and
appends one JSON line per message to OUT ({"from", "to", "data"}). Stops on SIGTERM/SIGKILL.

    python3 deploy/smtp_sink.py --port 2525 --out /tmp/mails.jsonl
"""
import argparse
import json
import signal
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        record = {"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                  "data": envelope.content.decode("utf-8", "replace")}
        with self.lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    open(args.out, "a").close()
    controller = Controller(Sink(args.out), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
