// synth_dates.hpp — human-written dates -> ISO 8601, the classic small attention task.
//
//   "wednesday, march 3 2021"  ->  "2021-03-03"
//
// A tiny translation task whose alignments are easy to read: the decoder writing the month
// digits must look at the month name, the day digits at the day, the year at the year —
// wherever the format puts them. One of 13 formats is drawn uniformly per example:
//   3 march 2021          march 3, 2021         03/03/2021  (dd/mm/yyyy)   wednesday, march 3 2021
//   3.3.21  (d.m.yy)      2021 mar 3            3 mar 2021                 mar 03 2021
//   03.03.2021            the 3rd of march 2021 march 3rd, 2021            wed 3 mar 2021
//   2021/03/03
// Dates are uniform over years 1970–2069 (so a two-digit year is unambiguous: 70–99 -> 19yy,
// 00–69 -> 20yy), months and valid days (leap years included); the weekday is the true one.
//
// Tokens are CHARACTERS separated by single spaces, with "_" standing for a space, so the
// alignment between e.g. "m a r" and "0 3" is clean and the vocabulary is ~40 symbols:
//   src: "w e d n e s d a y , _ m a r c h _ 3 _ 2 0 2 1"
//   tgt: "2 0 2 1 - 0 3 - 0 3"
// (To print the plain text: drop the spaces, then turn "_" back into a space.)
#pragma once
#include <cstdint>

#include "common/data/data_types.hpp"

namespace attn {

// n pairs; name "synthetic-dates", source "synthetic: dates seed=<s> n=<n> years=1970..2069".
PairSet synth_dates(int n, uint64_t seed);

}  // namespace attn
