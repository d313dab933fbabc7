// channel_sums.hpp — per-channel sums over a (B, C, HW) tensor: batch norm's statistics and a
// convolution's bias gradient, Σ_{b,p} x[b, c, p] for each channel c.
//
// Each sum is in a fixed order (b, then p), so it is a chain of dependent additions: one add must
// finish before the next starts (about 4 cycles). Summing G channels side by side runs G independent
// chains at once (each in the order it has alone), which keeps the adder busy: G times the speed,
// the same numbers. G is the widest of VL (the vector width: 16 on AVX-512, 8 on AVX2), VL/2, ...,
// 4 that the channels left in the range fill, else 1. The accumulator type T is the caller's: batch
// norm sums in double, the bias gradient in float.
//
// A group of G ≥ 4 channels runs in the lanes of a vector (lane g: channel c + g). Channel g's values
// lie HW floats apart from channel g + 1's, so channel_columns reads a G×G block (G channels × G
// positions, each row one load) and transposes it in registers (matmul_kernels.hpp): column q is
// then position p + q of every channel, one vector, and the sums take the columns in order. Written
// with scalars, the VL chains compiled to one scalar add per element, and the 16 double chains of
// batch norm's backward did not fit the registers: batch norm was 15 % of chapter 11's step. In lanes,
// its first stage (128 × 24 × 28 × 28) takes 2.1–2.4 ms forward (was 2.5), 2.4–2.9 backward (3.2–3.5).
// The numbers are the same: each lane adds its channel's terms in the scalar order.
// Groups of 8 and 4 in lanes too: two threads split chapter 11's 24 channels into 12 + 12, which on
// AVX-512 had been 4 + 4 + 4 in scalar chains (batch norm took 1.55 times the CPU time it took on one
// thread).
#pragma once
#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "common/core/matmul_kernels.hpp"  // vec, VL, loadv, transpose_block

namespace attn {

// channels per thread chunk: a channel of a small batch is too little work to hand to a thread
inline int channels_chunk(int B, int HW) { return std::max(1, 16384 / std::max(B * HW, 1)); }

constexpr int kChannelGroup = kernels::VL;
// how many channels, from c, to sum side by side in the range [c, c1): the widest vector of VL, VL/2,
// ..., 4 floats that the range still fills, else 1 (a thread's range of 12 channels, on AVX-512: 8 + 4)
inline int channel_group(int c, int c1) {
    int G = kChannelGroup;
    while (G >= 4 && c + G > c1) G /= 2;
    return G >= 4 ? G : 1;
}
// f(std::integral_constant<int, G>{}): a group size known only at run time made a template argument
template <int W = kChannelGroup, class F>
inline void with_group(int G, F&& f) {
    if constexpr (W >= 4) {
        if (G == W) return f(std::integral_constant<int, W>{});
        with_group<W / 2>(G, f);
    } else {
        f(std::integral_constant<int, 1>{});
    }
}

// ---- W channels in the lanes of a vector, W = 4 ... VL (namespace lanes: short names kept out of attn) ----
namespace lanes {
using kernels::vec;
// W doubles as two vectors of W/2 (each as wide as a vec<W>): lanes [0, W/2) and [W/2, W)
template <int W>
struct VecdOf {
    typedef double type __attribute__((vector_size(W / 2 * sizeof(double))));
};
template <int W>
using vecd = typename VecdOf<W>::type;
template <int W>
struct Doubles {
    vecd<W> lo = {}, hi = {};
};
// (each half picked out as a W/2-float vector and converted; with W = 4 that half is two floats, a
// type narrower than a register that g++ builds piecewise, so the lanes are converted one by one:
// the same values. On AVX-512, 8 and 16 floats are converted whole, v and v with its halves swapped,
// and the first W/2 doubles of each kept: g++ 12 converts a half picked out first in pieces of 4
// floats, which took 4 conversions and 5 shuffles per 16 floats where this takes 2 and 1. Batch
// norm's sums are bound by the shuffles (of the transposes too): one core of an Intel Xeon, a batch of
// 128 28×28 images, the sums of 16 channels 0.44–0.46 → 0.33 ms, of 8 channels 0.34 → 0.19–0.20, of
// 24 (16 + 8) 0.80–0.82 → 0.52–0.53.)
template <int W, int... i>
inline Doubles<W> widen(const vec<W>& v, std::integer_sequence<int, i...>) {
    if constexpr (kernels::VL == 16 && W >= 8) {
        const vec<W> swapped = __builtin_shufflevector(v, v, (i + W / 2)..., i...);
        const vecd<2 * W> a = __builtin_convertvector(v, vecd<2 * W>);  // W doubles
        const vecd<2 * W> b = __builtin_convertvector(swapped, vecd<2 * W>);
        return {__builtin_shufflevector(a, a, i...), __builtin_shufflevector(b, b, i...)};
    } else if constexpr (W == 4) {
        return {vecd<W>{(double)v[i]...}, vecd<W>{(double)v[i + W / 2]...}};
    } else {
        return {__builtin_convertvector(__builtin_shufflevector(v, v, i...), vecd<W>),
                __builtin_convertvector(__builtin_shufflevector(v, v, (i + W / 2)...), vecd<W>)};
    }
}
template <int W>
inline Doubles<W> widen(const vec<W>& v) {
    return widen<W>(v, std::make_integer_sequence<int, W / 2>{});
}
template <int W>
inline void store(double* s, const Doubles<W>& d) {
    for (int g = 0; g < W / 2; g++) s[g] = d.lo[g], s[g + W / 2] = d.hi[g];
}

// x holds W channels HW floats apart (channel g at x + g·HW). column_block: r[q] = positions p + q
// of the W channels, q < W (the W×W block loaded row by row, then transposed); column: one
// position, lane by lane (the last HW mod W positions).
template <int W>
inline void column_block(vec<W>* r, const float* x, int HW, int p) {
    for (int g = 0; g < W; g++) r[g] = kernels::loadv<W>(x + (size_t)g * HW + p);
    kernels::transpose_block<W>(r);
}
template <int W>
inline vec<W> column(const float* x, int HW, int p) {
    vec<W> v;
    for (int g = 0; g < W; g++) v[g] = x[(size_t)g * HW + p];
    return v;
}

// f(x[c…c+W−1, p]) for p = 0 … HW−1, over one image's W channels (x: the first of them, the others
// HW floats apart): the W channels of one position as one vector; with two tensors, f(x[c…, p], y[c…, p]).
template <int W, class F>
inline void channel_columns(F&& f, const float* x, int HW) {
    int p = 0;
    for (; p + W <= HW; p += W) {
        vec<W> r[W];
        column_block<W>(r, x, HW, p);
        for (int q = 0; q < W; q++) f(r[q]);
    }
    for (; p < HW; p++) f(column<W>(x, HW, p));
}
template <int W, class F>
inline void channel_columns(F&& f, const float* x, const float* y, int HW) {
    int p = 0;
    for (; p + W <= HW; p += W) {
        vec<W> r[W], s[W];
        column_block<W>(r, x, HW, p), column_block<W>(s, y, HW, p);
        for (int q = 0; q < W; q++) f(r[q], s[q]);
    }
    for (; p < HW; p++) f(column<W>(x, HW, p), column<W>(y, HW, p));
}
// W running sums in double, kept in memory between images: s[0, W) as two vectors, and back
template <int W>
inline Doubles<W> load(const double* s) {
    Doubles<W> d;
    for (int g = 0; g < W / 2; g++) d.lo[g] = s[g], d.hi[g] = s[g + W / 2];
    return d;
}
}  // namespace lanes

// f(std::integral_constant<int, G>{}, c, b) for the groups [c, c + G) of the range [c0, c1) (G =
// channel_group), image after image: b outer, the groups inner. A thread's channels of one image lie
// side by side in memory, so they are read as one stretch. With the groups outer, each group read B
// short stretches C·HW floats apart (chapter 11's last stage: 8 × 49 floats, then 18.8 KB on): batch
// norm's backward there (128 × 96 × 7 × 7, one thread, a Zen 3) took 1.4–1.9 ms, image by image
// 0.65–0.92; its middle stage's 5.0–5.2 ms, 2.9–3.9. A per-channel sum still takes its terms in the
// order b, then p, carried from one image to the next in memory: the same numbers.
template <class F>
inline void groups_by_image(int c0, int c1, int B, F&& f) {
    for (int b = 0; b < B; b++)
        for (int c = c0; c < c1;) {
            const int G = channel_group(c, c1);
            with_group(G, [&](auto g) { f(g, c, b); });
            c += G;
        }
}

// s[g] += Σ_p x[g·HW + p] for g < G: one image's terms of the sums of G channels (x: the first
// channel of the group in that image), each s[g] a chain continued from the image before
template <int G, class T>
void channel_sums(T* s, const float* x, int HW) {
    using namespace lanes;
    if constexpr (G >= 4) {  // lanes: s = s + x, in double (widened) or in float
        if constexpr (sizeof(T) == sizeof(double)) {
            Doubles<G> acc = load<G>(s);
            channel_columns<G>([&](const vec<G>& v) {
                const Doubles<G> d = widen<G>(v);
                acc.lo += d.lo, acc.hi += d.hi;
            }, x, HW);
            store<G>(s, acc);
        } else {
            vec<G> acc = kernels::loadv<G>(s);
            channel_columns<G>([&](const vec<G>& v) { acc += v; }, x, HW);
            for (int g = 0; g < G; g++) s[g] = acc[g];
        }
        return;
    }
    for (int p = 0; p < HW; p++)
        for (int g = 0; g < G; g++) s[g] += x[(size_t)g * HW + p];
}

}  // namespace attn
