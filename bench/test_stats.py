"""Unit tests of the benchmark's statistics (bench/stats.py): `python3 -m unittest discover -s bench`."""

import math
import unittest

from stats import MIN_ROUNDS, median, paired_ratio, verdict


class PairedRatio(unittest.TestCase):
    def test_a_fixed_ratio_has_no_spread(self):
        # rrdns at half the peer's figure in every round: every resample gives 0.5.
        self.assertEqual(paired_ratio([1, 2, 3, 4, 5, 6], [2, 4, 6, 8, 10, 12]), (0.5, 0.5, 0.5))

    def test_rounds_are_compared_in_pairs(self):
        # The machine's speed moves both servers together round by round; compared round by
        # round, the ratio stays 0.9. Drawn apart, medians of slow and fast rounds would mix.
        ours = [0.9 * x for x in (10, 50, 12, 48, 11, 52, 9, 49)]
        theirs = [10, 50, 12, 48, 11, 52, 9, 49]
        for value in paired_ratio(ours, theirs):
            self.assertAlmostEqual(value, 0.9)

    def test_a_round_is_set_only_against_the_same_round(self):
        # Two stretches of load, as when runs are pooled: rrdns is cheaper in every round but
        # one, yet the ratio of the two servers' medians (30/28) would say dearer.
        ours = [10, 12, 30, 32, 34]
        theirs = [11, 13, 28, 30, 36]
        ratio, low, high = paired_ratio(ours, theirs)
        self.assertAlmostEqual(ratio, 34 / 36)
        self.assertLess(ratio, 1.0)
        self.assertGreater(median(ours) / median(theirs), 1.0)
        self.assertLessEqual(low, ratio)
        self.assertGreaterEqual(high, ratio)

    def test_noise_widens_it_around_the_point_estimate(self):
        ours = [30, 45, 33, 41, 38, 36, 44, 31]
        theirs = [34, 36, 40, 31, 35, 42, 33, 37]
        ratio, low, high = paired_ratio(ours, theirs)
        self.assertLess(low, ratio)
        self.assertGreater(high, ratio)
        self.assertEqual((ratio, low, high), paired_ratio(ours, theirs), "the same rounds give the same interval")

    def test_too_few_rounds_give_a_ratio_without_interval(self):
        ratio, low, high = paired_ratio([1.0] * (MIN_ROUNDS - 1), [2.0] * (MIN_ROUNDS - 1))
        self.assertEqual(ratio, 0.5)
        self.assertTrue(math.isnan(low) and math.isnan(high))

    def test_a_round_that_measured_nothing_is_left_out(self):
        nan = float("nan")
        self.assertEqual(paired_ratio([1, 1, 1, 1, 1, nan, 1], [2, 2, 2, 2, 2, 2, 0]), (0.5, 0.5, 0.5))
        self.assertEqual(median([3, nan, 1, 2]), 2)
        self.assertTrue(math.isnan(paired_ratio([nan], [1])[0]))


class Verdict(unittest.TestCase):
    def test_met_and_missed_need_the_whole_interval(self):
        self.assertEqual(verdict(0.90, 0.85, 0.95, "<= 1.0"), "met")
        self.assertEqual(verdict(1.10, 1.05, 1.20, "<= 1.0"), "missed")
        self.assertEqual(verdict(0.95, 0.90, 1.05, "<= 1.0"), "parity")
        self.assertEqual(verdict(1.10, 1.02, 1.20, ">= 1.0"), "met")
        self.assertEqual(verdict(0.90, 0.80, 0.95, ">= 1.0"), "missed")
        self.assertEqual(verdict(1.02, 0.97, 1.10, ">= 1.0"), "parity")

    def test_without_an_interval_the_ratio_decides_and_says_so(self):
        nan = float("nan")
        self.assertEqual(verdict(0.9, nan, nan, "<= 1.0"), "met (ratio only)")
        self.assertEqual(verdict(1.1, nan, nan, "<= 1.0"), "missed (ratio only)")

    def test_no_target_no_verdict(self):
        self.assertEqual(verdict(2.5, 2.4, 2.6, "-"), "-")
        self.assertEqual(verdict(float("nan"), 1, 1, "<= 1.0"), "-")


if __name__ == "__main__":
    unittest.main()
