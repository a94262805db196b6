"""Unit tests of the benchmark's statistics (bench/stats.py): `python3 -m unittest discover -s bench`."""

import math
import unittest

from stats import MIN_ROUNDS, median, ratio_interval, verdict


class RatioInterval(unittest.TestCase):
    def test_a_fixed_ratio_has_no_spread(self):
        # rrdns at half the peer's figure in every round: every resample gives 0.5.
        low, high = ratio_interval([1, 2, 3, 4, 5, 6], [2, 4, 6, 8, 10, 12])
        self.assertAlmostEqual(low, 0.5)
        self.assertAlmostEqual(high, 0.5)

    def test_rounds_are_drawn_in_pairs(self):
        # The machine's speed moves both servers together round by round; drawn in pairs, the
        # ratio stays 0.9. Drawn apart, medians of slow and fast rounds would mix.
        ours = [0.9 * x for x in (10, 50, 12, 48, 11, 52, 9, 49)]
        theirs = [10, 50, 12, 48, 11, 52, 9, 49]
        low, high = ratio_interval(ours, theirs)
        self.assertLess(high - low, 0.3)
        self.assertLessEqual(low, 0.9 + 1e-9)
        self.assertGreaterEqual(high, 0.9 - 1e-9)

    def test_noise_widens_it_around_the_point_estimate(self):
        ours = [30, 45, 33, 41, 38, 36, 44, 31]
        theirs = [34, 36, 40, 31, 35, 42, 33, 37]
        low, high = ratio_interval(ours, theirs)
        point = median(ours) / median(theirs)
        self.assertLess(low, point)
        self.assertGreater(high, point)
        self.assertEqual((low, high), ratio_interval(ours, theirs), "the same rounds give the same interval")

    def test_too_few_rounds_give_none(self):
        low, high = ratio_interval([1.0] * (MIN_ROUNDS - 1), [2.0] * (MIN_ROUNDS - 1))
        self.assertTrue(math.isnan(low) and math.isnan(high))

    def test_a_round_that_measured_nothing_is_left_out(self):
        nan = float("nan")
        low, high = ratio_interval([1, 1, 1, 1, 1, nan], [2, 2, 2, 2, 2, 2])
        self.assertAlmostEqual(low, 0.5)
        self.assertAlmostEqual(high, 0.5)
        self.assertEqual(median([3, nan, 1, 2]), 2)


class Verdict(unittest.TestCase):
    def test_met_and_missed_need_the_whole_interval(self):
        self.assertEqual(verdict(0.90, 0.85, 0.95, "<= 1.0"), "met")
        self.assertEqual(verdict(1.10, 1.05, 1.20, "<= 1.0"), "missed")
        self.assertEqual(verdict(0.95, 0.90, 1.05, "<= 1.0"), "parity")
        self.assertEqual(verdict(1.10, 1.02, 1.20, ">= 1.0"), "met")
        self.assertEqual(verdict(0.90, 0.80, 0.95, ">= 1.0"), "missed")
        self.assertEqual(verdict(1.02, 0.97, 1.10, ">= 1.0"), "parity")

    def test_without_an_interval_the_ratio_decides(self):
        nan = float("nan")
        self.assertEqual(verdict(0.9, nan, nan, "<= 1.0"), "met")
        self.assertEqual(verdict(1.1, nan, nan, "<= 1.0"), "missed")

    def test_no_target_no_verdict(self):
        self.assertEqual(verdict(2.5, 2.4, 2.6, "-"), "-")
        self.assertEqual(verdict(float("nan"), 1, 1, "<= 1.0"), "-")


if __name__ == "__main__":
    unittest.main()
