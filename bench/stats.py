"""How far a ratio of medians can be trusted, from the rounds of one benchmark run or several.

Each round measures every server once, a few seconds apart, so a round of rrdns and the same
round of a peer share whatever the shared machine was doing then. The interval resamples whole
rounds (rrdns's and the peer's value of a round together) with replacement and takes the ratio
of the two medians each time: the percentile bootstrap. Its width is the noise of these
machines, which a single ratio hides: two runs of one binary gave CPU ratios of 0.91 and 1.06.
"""

import random
import statistics

DRAWS = 4000
LEVEL = 0.90
MIN_ROUNDS = 5  # below this, resampling has too few distinct draws to say anything


def median(xs):
    xs = [x for x in xs if x == x]  # NaN (a measure a round could not take) is left out
    return statistics.median(xs) if xs else float("nan")


def ratio_interval(ours, theirs, draws=DRAWS, level=LEVEL, seed=0):
    """(low, high) of median(ours)/median(theirs) over rounds resampled in pairs; NaN for
    fewer than MIN_ROUNDS rounds.

    `ours[i]` and `theirs[i]` are the two servers' values in round i. The seed is fixed, so
    the same rounds always give the same interval.
    """
    pairs = [(a, b) for a, b in zip(ours, theirs) if a == a and b == b]
    if len(pairs) < MIN_ROUNDS:
        return float("nan"), float("nan")
    rng = random.Random(seed)
    ratios = []
    for _ in range(draws):
        sample = [rng.choice(pairs) for _ in pairs]
        den = statistics.median(b for _, b in sample)
        if den:
            ratios.append(statistics.median(a for a, _ in sample) / den)
    ratios.sort()
    cut = (1 - level) / 2
    return ratios[int(cut * (len(ratios) - 1))], ratios[int((1 - cut) * (len(ratios) - 1))]


def verdict(ratio, low, high, target):
    """'met', 'missed', 'parity' (the interval holds the target's bound) or '-' (no target).

    A target reads '<= 1.0' or '>= 1.0'. Met or missed needs the whole interval on one side,
    so a ratio that moves across the bound from run to run reads as parity, not as a win or
    a loss decided by which run was kept.
    """
    if target == "-" or ratio != ratio:
        return "-"
    bound = float(target[2:])
    good = (lambda r: r <= bound) if target.startswith("<=") else (lambda r: r >= bound)
    if low != low:
        return "met" if good(ratio) else "missed"
    if good(low) and good(high):
        return "met"
    if not good(low) and not good(high):
        return "missed"
    return "parity"

