"""A ratio rrdns/peer and how far it can be trusted, from the rounds of one benchmark run or several.

Each round measures every server once, a few seconds apart, so a round of rrdns and the same
round of a peer share whatever the shared machine was doing then. The ratio is therefore taken
within each round (rrdns's figure over the peer's) and the median of those per-round ratios is
reported: what the machine did in a round cancels in that round's ratio. A ratio of the two
servers' medians instead can pair rrdns's median from one stretch of load with the peer's from
another; pooling two runs of 1.06 and 0.95 that way gave 1.07, outside both.

The interval resamples the per-round ratios with replacement and takes their median each time:
the percentile bootstrap. Its width is the noise of these machines, which a single ratio hides:
two runs of one binary gave CPU ratios of 0.91 and 1.06.
"""

import random
import statistics

DRAWS = 4000
LEVEL = 0.90
MIN_ROUNDS = 5  # below this, resampling has too few distinct draws to say anything


def median(xs):
    xs = [x for x in xs if x == x]  # NaN (a measure a round could not take) is left out
    return statistics.median(xs) if xs else float("nan")


def round_ratios(ours, theirs):
    """ours[i] / theirs[i] for every round i in which both servers measured something."""
    return [a / b for a, b in zip(ours, theirs) if a == a and b == b and b]


def paired_ratio(ours, theirs, draws=DRAWS, level=LEVEL, seed=0):
    """(ratio, low, high): the median of the per-round ratios and its interval; the interval is
    NaN for fewer than MIN_ROUNDS rounds, the ratio too for none.

    `ours[i]` and `theirs[i]` are the two servers' values in round i. The seed is fixed, so
    the same rounds always give the same interval.
    """
    ratios = round_ratios(ours, theirs)
    point = median(ratios)
    if len(ratios) < MIN_ROUNDS:
        return point, float("nan"), float("nan")
    rng = random.Random(seed)
    drawn = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(draws))
    cut = (1 - level) / 2
    return point, drawn[int(cut * (draws - 1))], drawn[int((1 - cut) * (draws - 1))]


def verdict(ratio, low, high, target):
    """'met', 'missed', 'parity' (the interval holds the target's bound) or '-' (no target).

    A target reads '<= 1.0' or '>= 1.0'. Met or missed needs the whole interval on one side,
    so a ratio that moves across the bound from run to run reads as parity, not as a win or
    a loss decided by which run was kept. Without an interval (under MIN_ROUNDS rounds) the
    ratio alone decides, and the verdict says so: 'met (ratio only)', 'missed (ratio only)'.
    """
    if target == "-" or ratio != ratio:
        return "-"
    bound = float(target[2:])
    good = (lambda r: r <= bound) if target.startswith("<=") else (lambda r: r >= bound)
    if low != low:
        return ("met" if good(ratio) else "missed") + " (ratio only)"
    if good(low) and good(high):
        return "met"
    if not good(low) and not good(high):
        return "missed"
    return "parity"

