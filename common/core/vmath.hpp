// vmath.hpp — e^x, tanh and the logistic function on VL floats at once, in plain arithmetic.
//
// The C library computes expf and tanhf one number per call. In the recurrent chapters those calls
// were 18 % of a training step (the GRU's gates: two sigmoids and a tanh per unit; the softmax over a
// 4,244-word vocabulary), while the matmul around them ran at the machine's FMA peak. Here the same
// functions take a vector (vecf: VL floats, the matmul kernel's register type) and use only + − × ÷,
// so VL numbers cost about what one did.
//
//   e^x      x = n·ln2 + r with n = round(x / ln2), |r| ≤ ln2/2, so e^x = 2^n · e^r.
//            r = (x − n·C1) − n·C2, C1 + C2 = ln2, C1 with 16 significant bits so n·C1 is exact
//            (Cody and Waite): r carries no rounding error from the reduction.
//            e^r by its Taylor series to r⁷/7!; the first term left out, r⁸/8!, is under 6·10⁻⁹ of
//            the sum, a tenth of a float's last bit.
//            2^n from its bits: the float with exponent field n + 127 and a zero mantissa. Applied
//            as 2^a · 2^(n−a), a = n/2, so every factor is a normal float for n in [−150, 128]:
//            the result rounds once, to a subnormal, 0 or ∞, exactly where it should.
//   e^y − 1  (y ≤ 0, for tanh) the same reduction, then 2^n·(e^r − 1) + (2^n − 1), with e^r − 1
//            summed from r (to r⁸/8!), so it keeps its accuracy for y near 0 where e^y − 1 does not.
//   tanh x   = −m / (m + 2) with m = e^(−2|x|) − 1, the sign of x put back.
//   σ(x)     = 1 / (1 + e^(−x)).
//
// Accuracy. Every float of the useful ranges (2.2 billion each; e^x on [−103.9, 88.72], tanh on
// [−9.1, 9.1], σ on [−87, 17]) against double precision rounded to float: e^x within 1 unit in the
// last place, tanh and σ within 2, the same worst cases as glibc's expf, tanhf and 1/(1 + expf(−x)).
// tests/common/test_vmath.cpp checks dense sweeps (2, 3 and 2 ulp) and ±0, ±∞, NaN. The numbers are
// not glibc's: they differ in the last bit on 0.46 %, 1.73 % and 0.20 % of those floats, so a
// training run's numbers differ from a run on the C library's functions.
#pragma once
#include "common/core/matmul_kernels.hpp"  // vecf, VL, loadv, storev

namespace attn::vm {

using kernels::loadv;
using kernels::storev;
using kernels::vecf;
using kernels::VL;
using veci = int __attribute__((vector_size(VL * sizeof(int))));

inline vecf splat(float v) { return v - vecf{}; }  // (not vecf{} + v: 0 + −0 = +0)
inline vecf select(veci mask, vecf a, vecf b) { return mask ? a : b; }  // per lane: mask ? a : b
inline vecf clamp(vecf x, float lo, float hi) {
    x = x < lo ? splat(lo) : x;
    return x > hi ? splat(hi) : x;  // NaN stays NaN: both comparisons are false
}
inline vecf pow2(veci n) { return (vecf)((n + 127) << 23); }  // 2^n for n in [−126, 127]

// x = n·ln2 + r: returns n (a whole number, as a float) and sets r, |r| ≤ ln2/2 (|x| < 2^21)
inline vecf reduce_ln2(vecf x, vecf& r) {
    const vecf round_magic = splat(12582912.0f);  // 1.5·2^23: adding it rounds to a whole number
    vecf n = (x * splat(1.44269504f) + round_magic) - round_magic;  // n = round(x / ln2)
    r = (x - n * splat(0.693145752f)) - n * splat(1.42860677e-6f);  // C1 = 0x1.62e4p-1, C2 = ln2 − C1
    return n;
}

// e^x
inline vecf vexp(vecf x) {
    vecf r, n = reduce_ln2(clamp(x, -104.0f, 89.0f), r);  // outside: 0 and ∞ after the scaling
    vecf p = splat(1.0f / 5040);                            // e^r = Σ_k r^k / k!, Horner from r⁷
    p = p * r + splat(1.0f / 720);
    p = p * r + splat(1.0f / 120);
    p = p * r + splat(1.0f / 24);
    p = p * r + splat(1.0f / 6);
    p = p * r + splat(0.5f);
    p = p * r + splat(1.0f);
    p = p * r + splat(1.0f);
    veci ni = __builtin_convertvector(n, veci), a = ni >> 1;
    return p * pow2(a) * pow2(ni - a);  // 2^n = 2^a · 2^(n−a), each a normal float
}

// e^y − 1 for y ≤ 0 (y ≥ −88 gives −1 in float already)
inline vecf vexpm1_nonpositive(vecf y) {
    vecf r, n = reduce_ln2(clamp(y, -88.0f, 0.0f), r);
    vecf q = splat(1.0f / 40320);  // e^r − 1 = Σ_{k≥1} r^k / k!, Horner from r⁸
    q = q * r + splat(1.0f / 5040);
    q = q * r + splat(1.0f / 720);
    q = q * r + splat(1.0f / 120);
    q = q * r + splat(1.0f / 24);
    q = q * r + splat(1.0f / 6);
    q = q * r + splat(0.5f);
    q = q * r * r + r;
    vecf s = pow2(__builtin_convertvector(n, veci));  // n in [−127, 0]
    return s * q + (s - splat(1.0f));                 // 2^n (e^r − 1) + (2^n − 1)
}

// tanh x = −m / (m + 2), m = e^(−2|x|) − 1 in (−1, 0]
inline vecf vtanh(vecf x) {
    const veci sign_bit = veci{} + (int)0x80000000u;
    vecf a = (vecf)((veci)x & ~sign_bit);  // |x|
    vecf m = vexpm1_nonpositive(splat(-2.0f) * a);
    vecf t = (vecf)((veci)(-m / (m + splat(2.0f))) & ~sign_bit);  // tanh|x| (m = 0 gives −0: made +0)
    t = (vecf)((veci)t | ((veci)x & sign_bit));                      // tanh(−x) = −tanh(x), tanh(−0) = −0
    return select(x != x, x, t);                                     // NaN in, NaN out
}

// σ(x) = 1 / (1 + e^(−x))
inline vecf vsigmoid(vecf x) { return splat(1.0f) / (splat(1.0f) + vexp(-x)); }

// The first m ≤ VL floats of p as a vector (the rest 0), and back: rows whose length is not a
// multiple of VL end with one such vector, so every element gets the same arithmetic.
inline vecf load_n(const float* p, int m) {
    if (m == VL) return loadv(p);
    vecf v{};
    for (int i = 0; i < m; i++) v[i] = p[i];
    return v;
}
inline void store_n(float* p, vecf v, int m) {
    if (m == VL) return storev(p, v);
    for (int i = 0; i < m; i++) p[i] = v[i];
}

}  // namespace attn::vm
