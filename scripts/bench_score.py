"""Measurement half of scripts/bench-score (see there)."""
import glob
import os
import subprocess
import sys
import tempfile
import time

BIN, DATA = sys.argv[1], sys.argv[2]
# About 2 s of scoring: at 20 repeats start-up was 2-3 % of the pass and a 0.4 s pass moved
# by more than the margin it was meant to measure.
REPEAT = 100
ROUNDS = 3


def texts():
    out = []
    for path in sorted(glob.glob(os.path.join(DATA, "reference_scores_*.tsv"))):
        with open(path, encoding="utf-8") as f:
            next(f)
            for line in f:
                out.append(line.rstrip("\n").split("\t", 5)[5])
    return out


def run(args, stdin_path):
    """Wall time and peak RSS (MB) of one fanwatch run."""
    with open(stdin_path, "rb") as stdin:
        start = time.perf_counter()
        proc = subprocess.Popen([BIN, *args], stdin=stdin, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"bench-score: {BIN} {' '.join(args)} failed ({status})")
    return elapsed, usage.ru_maxrss / 1024


def main():
    items = texts()
    n = len(items)
    with tempfile.TemporaryDirectory() as tmp:
        once = os.path.join(tmp, "once.txt")
        many = os.path.join(tmp, "many.txt")
        one = os.path.join(tmp, "one.txt")
        with open(once, "w", encoding="utf-8") as f:
            f.write("\n".join(items) + "\n")
        with open(many, "w", encoding="utf-8") as f:
            for _ in range(REPEAT):
                f.write("\n".join(items) + "\n")
        with open(one, "w", encoding="utf-8") as f:
            f.write("hea\n")

        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        analyzer = SentimentIntensityAnalyzer()

        def python_pass():
            start = time.perf_counter()
            for t in items:
                analyzer.polarity_scores(t)
            return time.perf_counter() - start

        run(["score", "--lang", "en"], once)  # warm the page cache
        # The machine may be shared: each round times both sides back to back, and each side
        # keeps its best round (as timeit does), so a busy moment slows neither alone.
        rounds = []
        for _ in range(ROUNDS):
            rounds.append((run(["score", "--lang", "en"], many)[0], python_pass()))
        t_many = min(r[0] for r in rounds)
        t_py = min(r[1] for r in rounds)
        t_once = min(run(["score", "--lang", "en"], once)[0] for _ in range(3))
        t_auto = run(["score", "--lang", "auto"], once)[0]
        t_et = run(["score", "--lang", "et"], once)[0]

        base = run(["--version"], one)[1]
        rss_en = run(["score", "--lang", "en"], one)[1]
        rss_et = run(["score", "--lang", "et"], one)[1]

    rust_en = n * REPEAT / t_many
    py = n / t_py
    same_round = sorted((n * REPEAT / r) / (n / p) for r, p in rounds)
    print(f"texts: {n} (x{REPEAT} = {n * REPEAT} for the steady-state figure); cores: {os.cpu_count()}")
    print(f"fanwatch score --lang en   {rust_en:>12,.0f} texts/s   ({n * REPEAT} texts in {t_many:.3f} s)")
    print(f"  one pass incl. start-up  {n / t_once:>12,.0f} texts/s   ({t_once:.3f} s)")
    print(f"fanwatch score --lang auto {n / t_auto:>12,.0f} texts/s   ({t_auto:.3f} s, language detection included)")
    print(f"fanwatch score --lang et   {n / t_et:>12,.0f} texts/s   ({t_et:.3f} s)")
    print(f"python vaderSentiment      {py:>12,.0f} texts/s   ({t_py:.3f} s)")
    print(f"speed-up (en, steady state) {rust_en / py:.0f}x best against best "
          f"(round by round {same_round[0]:.0f}x-{same_round[-1]:.0f}x)   "
          f"target >= 50x and >= 400,000 texts/s")
    print(f"lexicon memory: English {rss_en - base:.1f} MB, English+Estonian {rss_et - base:.1f} MB "
          f"(peak RSS {rss_et:.1f} MB vs {base:.1f} MB bare)   target <= 30 MB")


main()
