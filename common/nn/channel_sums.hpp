// channel_sums.hpp — per-channel sums over a (B, C, HW) tensor: batch norm's statistics and a
// convolution's bias gradient, Σ_{b,p} x[b, c, p] for each channel c.
//
// Each sum is in a fixed order (b, then p), so it is a chain of dependent additions: one add must
// finish before the next starts (about 4 cycles). Summing G channels side by side runs G independent
// chains at once (each in the order it has alone), which keeps the adder busy: G times the speed,
// the same numbers. G is VL (the vector width: 8 on AVX2) where VL channels are left in the range,
// else 4, else 1. The accumulator type T is the caller's: batch norm sums in double, the bias
// gradient in float.
//
// A group of VL channels runs in the lanes of a vector (lane g: channel c + g). Channel g's values
// lie HW floats apart from channel g + 1's, so channel_columns reads a VL×VL block (VL channels × VL
// positions, each row one load) and transposes it in registers (matmul_kernels.hpp): column q is
// then position p + q of every channel, one vector, and the sums take the columns in order. Written
// with scalars, the VL chains compiled to one scalar add per element, and the 16 double chains of
// batch norm's backward did not fit the registers: batch norm was 15 % of chapter 11's step. In lanes,
// its first stage (128 × 24 × 28 × 28) takes 2.1–2.4 ms forward (was 2.5), 2.4–2.9 backward (3.2–3.5).
// The numbers are the same: each lane adds its channel's terms in the scalar order.
#pragma once
#include <algorithm>
#include <cstddef>
#include <utility>

#include "common/core/matmul_kernels.hpp"  // vecf, VL, loadv, transpose_block

namespace attn {

// channels per thread chunk: a channel of a small batch is too little work to hand to a thread
inline int channels_chunk(int B, int HW) { return std::max(1, 16384 / std::max(B * HW, 1)); }

constexpr int kChannelGroup = kernels::VL;
// how many channels, from c, to sum side by side in the range [c, c1)
inline int channel_group(int c, int c1) {
    return c + kChannelGroup <= c1 ? kChannelGroup : c + 4 <= c1 ? 4 : 1;
}

// ---- VL channels in the lanes of a vector (namespace lanes: these short names stay out of attn) ----
namespace lanes {
using kernels::vecf;
using kernels::VL;
// VL doubles as two vectors of VL/2 (each as wide as a vecf): lanes [0, VL/2) and [VL/2, VL)
using vecd = double __attribute__((vector_size(VL / 2 * sizeof(double))));
struct Doubles {
    vecd lo = {}, hi = {};
};
// (each half picked out as a VL/2-float vector and converted; with VL = 4, SSE2 without -march, that
// half is two floats, a type narrower than a register that g++ builds piecewise, so the lanes are
// converted one by one: the same values)
template <int... i>
inline Doubles widen(const vecf& v, std::integer_sequence<int, i...>) {
    if constexpr (VL == 4)
        return {vecd{(double)v[i]...}, vecd{(double)v[i + VL / 2]...}};
    else
        return {__builtin_convertvector(__builtin_shufflevector(v, v, i...), vecd),
                __builtin_convertvector(__builtin_shufflevector(v, v, (i + VL / 2)...), vecd)};
}
inline Doubles widen(const vecf& v) { return widen(v, std::make_integer_sequence<int, VL / 2>{}); }
inline void store(double* s, const Doubles& d) {
    for (int g = 0; g < VL / 2; g++) s[g] = d.lo[g], s[g + VL / 2] = d.hi[g];
}

// x holds VL channels HW floats apart (channel g at x + g·HW). column_block: r[q] = positions p + q
// of the VL channels, q < VL (the VL×VL block loaded row by row, then transposed); column: one
// position, lane by lane (the last HW mod VL positions).
inline void column_block(vecf* r, const float* x, int HW, int p) {
    for (int g = 0; g < VL; g++) r[g] = kernels::loadv(x + (size_t)g * HW + p);
    kernels::transpose_block(r);
}
inline vecf column(const float* x, int HW, int p) {
    vecf v;
    for (int g = 0; g < VL; g++) v[g] = x[(size_t)g * HW + p];
    return v;
}

// f(x[b, c…c+VL−1, p]) for b = 0 … B−1, then p = 0 … HW−1: the VL channels of one position as one
// vector; with two tensors, f(x[b, c…, p], y[b, c…, p]).
template <class F>
inline void channel_columns(F&& f, const float* inp, int c, int B, int C, int HW) {
    for (int b = 0; b < B; b++) {
        const float* x = inp + ((size_t)b * C + c) * HW;
        int p = 0;
        for (; p + VL <= HW; p += VL) {
            vecf r[VL];
            column_block(r, x, HW, p);
            for (int q = 0; q < VL; q++) f(r[q]);
        }
        for (; p < HW; p++) f(column(x, HW, p));
    }
}
template <class F>
inline void channel_columns(F&& f, const float* inp, const float* inp2, int c, int B, int C, int HW) {
    for (int b = 0; b < B; b++) {
        const float* x = inp + ((size_t)b * C + c) * HW;
        const float* y = inp2 + ((size_t)b * C + c) * HW;
        int p = 0;
        for (; p + VL <= HW; p += VL) {
            vecf r[VL], s[VL];
            column_block(r, x, HW, p), column_block(s, y, HW, p);
            for (int q = 0; q < VL; q++) f(r[q], s[q]);
        }
        for (; p < HW; p++) f(column(x, HW, p), column(y, HW, p));
    }
}
}  // namespace lanes

// s[g] = Σ_{b,p} x[b, c+g, p] for g < G
template <int G, class T>
void channel_sums(T* s, const float* inp, int c, int B, int C, int HW) {
    using namespace lanes;
    if constexpr (G == VL) {  // lanes: s = s + x, in double (widened) or in float
        if constexpr (sizeof(T) == sizeof(double)) {
            Doubles acc;
            channel_columns([&](const vecf& x) {
                const Doubles d = widen(x);
                acc.lo += d.lo, acc.hi += d.hi;
            }, inp, c, B, C, HW);
            store(s, acc);
        } else {
            vecf acc = {};
            channel_columns([&](const vecf& x) { acc += x; }, inp, c, B, C, HW);
            for (int g = 0; g < VL; g++) s[g] = acc[g];
        }
        return;
    }
    for (int g = 0; g < G; g++) s[g] = 0;
    for (int b = 0; b < B; b++) {
        const float* x = inp + ((size_t)b * C + c) * HW;
        for (int p = 0; p < HW; p++)
            for (int g = 0; g < G; g++) s[g] += x[(size_t)g * HW + p];
    }
}
// the same for G = channel_group(...) known only at run time
template <class T>
void channel_sums(int G, T* s, const float* inp, int c, int B, int C, int HW) {
    if (G == kChannelGroup) channel_sums<kChannelGroup>(s, inp, c, B, C, HW);
    else if (G == 4) channel_sums<4>(s, inp, c, B, C, HW);
    else channel_sums<1>(s, inp, c, B, C, HW);
}

}  // namespace attn
