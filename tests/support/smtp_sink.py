#!/usr/bin/env python3
"""A real SMTP server for fanwatch's email tests and benchmark (aiosmtpd, from PyPI).

Every message it accepts is appended to --out as one JSON line (message_id, mail_from,
rcpt_tos, subject, received_at as Unix seconds, headers, the decoded text and html parts,
attachments as [name, content]) and flushed before the server answers
the DATA command, so a client killed while waiting for that answer has still delivered.

  --port N              listen on 127.0.0.1:N
  --out FILE            where accepted messages are appended
  --auth USER:PASS      require AUTH (PLAIN/LOGIN) with these credentials
  --stall-first SECS    hold the answer to the first DATA this long (after recording it)
  --fail-first N        answer the first N DATA commands with 451 (temporary failure)
  --tls CERT KEY        offer STARTTLS with this certificate and refuse mail without it
  --tls-wrap CERT KEY   implicit TLS (smtps) with this certificate

Prints "READY <port>" on stdout once it accepts connections; stops on SIGTERM/SIGINT.
"""

import argparse
import asyncio
import email
import email.policy
import json
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, out, stall_first, fail_first):
        self.out = open(out, "a", encoding="utf-8")
        self.stall_first = stall_first
        self.fail_first = fail_first
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen <= self.fail_first:
            return "451 4.3.0 try again later"
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        text, html, attachments = "", "", []
        for part in msg.walk():
            if part.is_multipart():
                continue
            body = part.get_content()
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            if part.get_filename():
                attachments.append([part.get_filename(), body])
            elif part.get_content_type() == "text/plain":
                text += body
            elif part.get_content_type() == "text/html":
                html += body
        record = {
            "message_id": msg.get("Message-ID"),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg.get("Subject", "")),
            "received_at": time.time(),
            "headers": [[k, str(v)] for k, v in msg.items()],
            "text": text,
            "html": html,
            "attachments": attachments,
        }
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()
        if self.seen == 1 and self.stall_first > 0:
            await asyncio.sleep(self.stall_first)
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--auth")
    p.add_argument("--stall-first", type=float, default=0)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--tls", nargs=2)
    p.add_argument("--tls-wrap", nargs=2)
    args = p.parse_args()
    kwargs = {}
    if args.auth:
        user, password = args.auth.split(":", 1)
        kwargs = dict(
            authenticator=authenticator(user, password),
            auth_required=True,
            auth_require_tls=False,
        )
    if args.tls or args.tls_wrap:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*(args.tls or args.tls_wrap))
        if args.tls:
            kwargs.update(tls_context=ctx, require_starttls=True)
        else:
            kwargs.update(ssl_context=ctx)
    sink = Sink(args.out, args.stall_first, args.fail_first)
    controller = Controller(
        sink, hostname="127.0.0.1", port=args.port, data_size_limit=10_000_000, **kwargs
    )
    controller.start()
    print(f"READY {args.port}", flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    try:
        while not stop:
            time.sleep(0.05)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
