// reduce.hpp — the sum, dot product and maximum of one contiguous row, in kLanes interleaved lanes.
//
// A plain loop `s += x[p]` is a chain of dependent additions: each add waits for the one before
// (about 4 cycles), and the compiler may not reorder it (float addition is not associative). Here
// lane l takes x[l], x[l + 16], x[l + 32], ...: 16 independent chains, which the compiler keeps in
// vector registers, then added in a fixed tree, then the tail (n mod 16) in order. The order depends
// on n only — so the same row gives the same bits on any thread count — but it is not the order of
// the plain loop: the last bits differ from it (a test bounds the difference).
//
//   sum_lanes(x, n)           Σ_{p<n} x[p]
//   dot_lanes(a, b, n)        Σ_{p<n} a[p]·b[p]
//   max_lanes(x, n, &arg)     max_p x[p] and its first position — exactly the plain scan's answer
//                             (a max is exact, and ties go to the smallest p); a NaN never wins
//   max_lanes(x, n)           max(−∞, x[0], …, x[n−1]): the plain scan `m = std::max(m, x[p])` from
//                             m = −∞, exactly, NaNs skipped (n may be 0: then −∞)
#pragma once
#include <cmath>

namespace attn {

constexpr int kLanes = 16;

// ((l0 + l8) + (l4 + l12)) + ... : the lanes folded in halves, 16 → 8 → 4 → 2 → 1
inline float fold_lanes(float* acc) {
    for (int half = kLanes / 2; half >= 1; half /= 2)
        for (int l = 0; l < half; l++) acc[l] += acc[l + half];
    return acc[0];
}

inline float sum_lanes(const float* x, int n) {
    float acc[kLanes] = {};
    int p = 0;
    for (; p + kLanes <= n; p += kLanes)
        for (int l = 0; l < kLanes; l++) acc[l] += x[p + l];
    float s = fold_lanes(acc);
    for (; p < n; p++) s += x[p];
    return s;
}

inline float dot_lanes(const float* a, const float* b, int n) {
    float acc[kLanes] = {};
    int p = 0;
    for (; p + kLanes <= n; p += kLanes)
        for (int l = 0; l < kLanes; l++) acc[l] += a[p + l] * b[p + l];
    float s = fold_lanes(acc);
    for (; p < n; p++) s += a[p] * b[p];
    return s;
}

// n ≥ 1. Two passes, each one the compiler vectorises: the maximum, lane by lane as above (a select,
// not a branch: `v > best ? v : best` is one vector max instruction), then the first position that
// holds it. A NaN never wins a comparison, so it is skipped — unless it is x[0], which every lane
// starts from: then the answer is x[0] at 0, as the plain scan's.
inline float max_lanes(const float* x, int n, int* argmax) {
    float best[kLanes];
    for (int l = 0; l < kLanes; l++) best[l] = x[0];
    int p = 0;
    for (; p + kLanes <= n; p += kLanes)
        for (int l = 0; l < kLanes; l++) best[l] = x[p + l] > best[l] ? x[p + l] : best[l];
    float m = best[0];
    for (int l = 1; l < kLanes; l++) m = best[l] > m ? best[l] : m;
    for (; p < n; p++) m = x[p] > m ? x[p] : m;
    int arg = 0;
    if (m == m)  // (not a NaN) the first position equal to the maximum: the plain scan's first winner
        while (!(x[arg] == m)) arg++;
    *argmax = arg;
    return x[arg];  // (of −0 and +0, which compare equal, the one at that position)
}

// The softmax's shift: 16 lanes of `std::max(best, v)` (one vector max instruction, where the plain
// scan is a chain of dependent maxes, ~4 cycles each: a third of a cross-entropy over 4,244 words).
// A max is exact, so the lanes find the plain scan's value; only of −0 and +0 either may come back,
// and x − m, m + log s are the same number for both.
inline float max_lanes(const float* x, int n) {
    float best[kLanes];
    for (int l = 0; l < kLanes; l++) best[l] = -INFINITY;
    int p = 0;
    for (; p + kLanes <= n; p += kLanes)
        for (int l = 0; l < kLanes; l++) best[l] = best[l] < x[p + l] ? x[p + l] : best[l];  // std::max
    float m = -INFINITY;
    for (int l = 0; l < kLanes; l++) m = m < best[l] ? best[l] : m;
    for (; p < n; p++) m = m < x[p] ? x[p] : m;
    return m;
}

}  // namespace attn
