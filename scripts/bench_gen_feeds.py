#!/usr/bin/env python3
"""Generate the feeds for scripts/bench-poll.

Usage: bench_gen_feeds.py OUTDIR [--feeds N] [--items N] [--seed N] [--now EPOCH]

Writes OUTDIR/feed-0000.xml ... : RSS 2.0 files with 50 items each. Every
item (about 400 bytes of XML) has a short HTML description built from English sentences; every tenth
item (index 0, 10, 20, ...) mentions "Acme", and no other item contains the
letters "acme" at all. Guids are unique across all files; pubDates are spread
over the 30 days before now (or before --now). Text is the same on every run
with the same seed; only the dates move with the clock unless --now is given.
"""

import argparse
import email.utils
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

SUBJECTS = [
    "Our platform team", "The new intern", "A small design agency", "The city council",
    "The support desk", "Our on-call engineer", "A local bakery", "The marketing team",
    "The mobile squad", "A two-person startup", "The finance department", "Our data team",
    "The open-source maintainers", "A regional newspaper", "The school IT office",
    "The warehouse crew", "Our QA lead", "A freelance photographer", "The product manager",
    "The infrastructure group",
]
VERBS = [
    "rewrote", "migrated", "benchmarked", "documented", "simplified", "automated",
    "reviewed", "replaced", "tested", "monitored", "redesigned", "rolled back",
    "shipped", "profiled", "audited", "cleaned up",
]
OBJECTS = [
    "the billing pipeline", "the nightly backup job", "an old reporting service",
    "the customer onboarding flow", "the search index", "the staging cluster",
    "a legacy PHP application", "the password reset emails", "the image thumbnailer",
    "the internal wiki", "the release checklist", "a flaky integration test",
    "the caching layer", "the analytics dashboard", "the job queue", "the DNS records",
]
TAILS = [
    "in less than a week", "after two failed attempts", "without any downtime",
    "over a long weekend", "with surprisingly little drama", "before the holiday freeze",
    "while the office was being renovated", "on a shoestring budget",
    "with help from the community", "and wrote down every step",
]
REMARKS = [
    "Response times dropped by a third.", "Nobody noticed the switch, which is the best outcome.",
    "The old scripts are finally gone.", "We still have a few rough edges to polish.",
    "Costs went down more than expected.", "The on-call rotation got noticeably quieter.",
    "Error rates are back to normal.", "Customers mostly asked about the new colours.",
    "The documentation is now twice as long and half as confusing.",
    "Next up is the mobile app.", "Lessons learned are listed below.",
    "Feedback from the team has been positive so far.",
]
TITLES = [
    "How {s} {v} {o}", "Notes on {o}", "What we learned from {o}", "Week {n}: {o} update",
    "A quick look at {o}", "{s} on {o}", "Postmortem: {o}", "Why {s} {v} {o}",
]
MENTIONS = [
    "We moved {o} to Acme last month and the migration was painless.",
    "Acme support answered within the hour, which saved our evening.",
    "Half of the team now runs their side projects on Acme as well.",
    "The Acme console made {o} much easier to reason about.",
    "Compared with our old host, Acme was cheaper and faster for {o}.",
    "One complaint: the Acme invoices are still hard to read.",
]
MENTION_TITLES = [
    "Running {o} on Acme", "Acme, six months later", "Our first week on Acme",
    "Moving {o} to Acme",
]


def sentence(rng: random.Random) -> str:
    return (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
            f"{rng.choice(TAILS)}.")


def lower_first(s: str) -> str:
    return s[0].lower() + s[1:]


def item_text(rng: random.Random, mention: bool) -> tuple[str, str]:
    obj = rng.choice(OBJECTS)
    if mention:
        title = rng.choice(MENTION_TITLES).format(o=obj)
        lead = rng.choice(MENTIONS).format(o=obj)
    else:
        title = rng.choice(TITLES).format(
            s=lower_first(rng.choice(SUBJECTS)), v=rng.choice(VERBS), o=obj, n=rng.randint(1, 52))
        lead = sentence(rng)
    title = title[0].upper() + title[1:]
    if rng.random() < 0.5:
        lead += " " + sentence(rng)
    desc = f"<p>{lead}</p><p><b>{rng.choice(REMARKS)}</b></p>"
    return title, desc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--now", type=int, help="Unix time to count pubDates back from")
    args = ap.parse_args()

    now = (datetime.fromtimestamp(args.now, timezone.utc) if args.now is not None
           else datetime.now(timezone.utc)).replace(microsecond=0)
    rng = random.Random(args.seed)
    args.outdir.mkdir(parents=True, exist_ok=True)
    total = 0
    mentions = 0
    for f in range(args.feeds):
        name = f"feed-{f:04d}"
        # Newest first, like real feeds: random ages within 30 days, sorted.
        ages = sorted(rng.randrange(30 * 24 * 3600) for _ in range(args.items))
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
            f"<title>Bench blog {f:04d}</title>\n"
            f"<link>https://blog.example.org/{name}/</link>\n"
            f"<description>Synthetic engineering blog number {f} for the poll benchmark."
            "</description>\n<language>en</language>\n"
            f"<lastBuildDate>{email.utils.format_datetime(now)}</lastBuildDate>\n"
        ]
        for i in range(args.items):
            mention = i % 10 == 0
            title, desc = item_text(rng, mention)
            if mention:
                mentions += 1
            elif "acme" in (title + desc).lower():
                raise AssertionError(f"{name} item {i} mentions acme by accident")
            link = f"https://blog.example.org/{f:04d}/{i:02d}"
            date = email.utils.format_datetime(now - timedelta(seconds=ages[i]))
            parts.append(
                f"<item><title>{title}</title><link>{link}</link>"
                f"<guid>{link}</guid>"
                f"<pubDate>{date}</pubDate>"
                f"<description><![CDATA[{desc}]]></description></item>\n")
        parts.append("</channel>\n</rss>\n")
        data = "".join(parts).encode("utf-8")
        (args.outdir / f"{name}.xml").write_bytes(data)
        total += len(data)
    print(f"wrote {args.feeds} feeds x {args.items} items to {args.outdir}: "
          f"{total} bytes ({total / 1e6:.1f} MB), {mentions} items mention Acme")
    return 0


if __name__ == "__main__":
    sys.exit(main())
