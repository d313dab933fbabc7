// conv2d_direct_weight_grad.cpp — the direct convolution's weight gradient (conv2d_direct.hpp): tiles
// of channels × taps, and for few taps (chapter 11's first conv) the taps in the lanes.
#include "common/nn/conv2d_direct.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"  // count_matmul_flops
#include "common/core/matmul_kernels.hpp"  // vecf, loadv, storev, transpose_block, transpose
#include "common/core/thread_pool.hpp"
#include "common/nn/conv2d_direct_tiles.hpp"  // kAccs, tap and pixel offsets, channel blocks

namespace attn {

using namespace direct_conv;
using kernels::loadv;
using kernels::storev;
using kernels::vecf;

// ---- weight gradient -------------------------------------------------------------------------

// With padding, tiles at least 4 taps wide (conv2d_direct.cpp says why the forward asks as much)
bool conv2d_direct_weight_grad_fits(int C_in, int C_out, int stride, int pad) {
    return stride == 1 && (pad == 0 || (C_in >= VL / 2 && tile_width(C_out) >= 4));
}

// doutᵀ (B, P, Cp) of dout (B, C_out, P): dt[b, q, o] = dout[b, o, q], 0 past C_out
static void transpose_dout(float* dt, const float* dout, int B, int C_out, int P, int Cp) {
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++)
            kernels::transpose(dt + (size_t)b * P * Cp, Cp, dout + (size_t)b * C_out * P, P, C_out, Cp, P);
    });
}

// A tile of dW: channels [o0, o0 + NO·VL) × taps [k0, k0 + T), its chains carried on over images
// [b0, b1): from their value in dWt (dW transposed, (K, Cp): a tile's row is NO vectors), then
// + doutᵀ[b, q, o]·cols_b[k, q] for b, then q, in order.
template <int NO, int T>
static void weight_tile(float* dWt, const float* dt, const float* inp, const int* tap, const int* pix, int b0,
                        int b1, int P, int Cp, int in_size, int k0, int o0) {
    vecf acc[NO][T];
    for (int v = 0; v < NO; v++)
        for (int t = 0; t < T; t++) acc[v][t] = loadv(dWt + (size_t)(k0 + t) * Cp + o0 + VL * v);
    for (int b = b0; b < b1; b++) {
        const float* d = dt + (size_t)b * P * Cp + o0;
        // col[t][pix[q]] = cols_b[k0 + t, q]: T pointers into the image, so that each number the loop
        // reads is one address (a pointer + pix[q]). (With one pointer and T tap offsets, g++ added
        // image, pixel and tap in a register for each: 5 of the loop's 32 instructions, now 27. That,
        // the loop over q unrolled 4 deep and dW's tile kept transposed in dWt took chapter 11's weight
        // gradients 0.73–0.77 of their time (middle and last stage, one and two threads, a Zen 3).)
        const float* col[T];
        for (int t = 0; t < T; t++) col[t] = inp + (size_t)b * in_size + tap[k0 + t];
#pragma GCC unroll 4
        for (int q = 0; q < P; q++) {
            vecf g[NO];  // doutᵀ[b, q, o0 ...]
            for (int v = 0; v < NO; v++) g[v] = loadv(d + (size_t)q * Cp + VL * v);
            const int at = pix[q];
#pragma GCC unroll 24
            for (int t = 0; t < T; t++) {
                const float a = col[t][at];                              // cols_b[k0 + t, q]
                for (int v = 0; v < NO; v++) acc[v][t] += g[v] * a;     // dW[o, k] += dout_b[o, q]·cols_b[k, q]
            }
        }
    }
    for (int v = 0; v < NO; v++)
        for (int t = 0; t < T; t++) storev(dWt + (size_t)(k0 + t) * Cp + o0 + VL * v, acc[v][t]);
}

// The tiles' widths: the widest, kAccs / NO taps, then narrower ones for the taps left over
template <int NO>
constexpr std::array<int, 5> kTapWidths = {kAccs / NO, std::min(8, kAccs / NO), std::min(4, kAccs / NO), 2, 1};
struct WeightTile {
    int o0, k0, T;
};

template <int NO>
static void weight_grad_blocks(float* dW, const float* dt, const float* inp, const int* tap, const int* pix, int B,
                               int P, int Cp, int in_size, int K, int C_out) {
    constexpr auto widths = kTapWidths<NO>;
    // Tiles of the widest width; on several threads narrower ones when that leaves fewer than two
    // tiles per thread (chapter 09's first convs: 25 taps, one block of channels). Any tiling gives
    // the same numbers: each dW element is one tile's chain.
    int first = 0;
    while (num_threads() > 1 && first < 2 && (K / widths[first]) * (Cp / (NO * VL)) < 2 * num_threads()) first++;
    thread_local std::vector<WeightTile> tile_list;  // (the workers read it through `tiles`: a thread_local
    tile_list.clear();                                // named in the lambda would be each worker's own)
    for (int o0 = 0; o0 < C_out; o0 += NO * VL)
        for (int k0 = 0, w = first; k0 < K; k0 += widths[w]) {
            while (k0 + widths[w] > K) w++;
            tile_list.push_back({o0, k0, widths[w]});
        }
    const WeightTile* tiles = tile_list.data();
    // The tiles' chains start from dW and end in it, through dWt = dWᵀ (K, Cp), 0 past C_out
    thread_local Buf dWt_buf;
    if (dWt_buf.size() < (size_t)K * Cp) dWt_buf.resize((size_t)K * Cp);
    float* dWt = dWt_buf.data();
    kernels::transpose(dWt, Cp, dW, K, C_out, Cp, K);
    // Images a chunk at a time: doutᵀ's columns of one block of channels about 32 KB (in L1 or L2
    // while the block's tiles run over it)
    const int chunk = std::max(1, 8192 / (P * NO * VL));
    parallel_for((int)tile_list.size(), [&](int u0, int u1) {
        for (int b0 = 0; b0 < B; b0 += chunk) {
            const int b1 = std::min(B, b0 + chunk);
            for (int u = u0; u < u1; u++) {
                const WeightTile& w = tiles[u];
                auto run = [&]<int T>() {
                    weight_tile<NO, T>(dWt, dt, inp, tap, pix, b0, b1, P, Cp, in_size, w.k0, w.o0);
                };
                if (w.T == widths[0]) run.template operator()<widths[0]>();
                else if (w.T == widths[1]) run.template operator()<widths[1]>();
                else if (w.T == widths[2]) run.template operator()<widths[2]>();
                else if (w.T == 2) run.template operator()<2>();
                else run.template operator()<1>();
            }
        }
    });
    kernels::transpose(dW, K, dWt, Cp, K, K, C_out);
}

void conv2d_direct_weight_grad(float* dW, const float* dout, const float* inp, int B, int C_in, int H, int Wd,
                               int C_out, int KH, int KW) {
    const int OH = H - KH + 1, OW = Wd - KW + 1, K = C_in * KH * KW, P = OH * OW;
    const int NO = channel_vectors(C_out), Cp = padded_channels(C_out, NO);
    thread_local Buf dt;
    if (dt.size() < (size_t)B * P * Cp) dt.resize((size_t)B * P * Cp);
    transpose_dout(dt.data(), dout, B, C_out, P, Cp);
    thread_local std::vector<int> tap, pix;
    tap_offsets(tap, C_in, H, Wd, KH, KW), pixel_offsets(pix, Wd, OH, OW);
    const int in_size = C_in * H * Wd;
    count_matmul_flops(2LL * B * C_out * K * P);
    switch (NO) {
        case 1: return weight_grad_blocks<1>(dW, dt.data(), inp, tap.data(), pix.data(), B, P, Cp, in_size, K, C_out);
        case 2: return weight_grad_blocks<2>(dW, dt.data(), inp, tap.data(), pix.data(), B, P, Cp, in_size, K, C_out);
        case 3: return weight_grad_blocks<3>(dW, dt.data(), inp, tap.data(), pix.data(), B, P, Cp, in_size, K, C_out);
        default: return weight_grad_blocks<4>(dW, dt.data(), inp, tap.data(), pix.data(), B, P, Cp, in_size, K, C_out);
    }
}

// ---- weight gradient with the taps in the lanes (K = C_in·KH·KW ≤ 2·VL) --------------------------

// With few taps (chapter 11's first conv: one input channel, 3×3, K = 9) the lanes are the taps, not
// the channels: a row of dW is NV vectors (NV = 1 when K ≤ VL, as on AVX-512; 2 on AVX2, whose 8 lanes
// hold 8 of the 9 taps), and each output pixel q of image b adds
//   acc[o] (dW[o, 0 .. K)) += dout_b[o, q] · xs[q],   xs[q] = cols_b[0 .. K, q] (zeros past K)
// for NA channels o at a time, in NA·NV accumulators. Each dW element is still the one chain, from its
// old value, over b and then q: the bits of the im2col product (any tiling), which instead padded dW's
// 9 columns to the kernel's 32 (a quarter of its multiply-adds used; on AVX2 16, and dW's 9 columns
// took its narrow edge tiles: 12 GFLOP/s on a Zen 3) and, on two threads, split dW's 24 rows as 16 + 8.
// The threads here take equal ranges of channels; each builds every image's xs itself (one transpose
// of 9 rows an image, against 9·C_out/nt multiply-adds per pixel: cheaper than sharing).
template <int NA, int NV>
static void taps_rows(float* acc, const float* xs, const float* dout_b, int P) {
    constexpr int KP = NV * VL;  // a row of acc and of xs
    vecf a[NA][NV];
    for (int j = 0; j < NA; j++)
        for (int v = 0; v < NV; v++) a[j][v] = loadv(acc + (size_t)j * KP + VL * v);
    for (int q = 0; q < P; q++) {
        vecf x[NV];
        for (int v = 0; v < NV; v++) x[v] = loadv(xs + (size_t)q * KP + VL * v);
        // dW[o, k] += dout_b[o, q]·cols_b[k, q]
        for (int j = 0; j < NA; j++) {
            const float d = dout_b[(size_t)j * P + q];
            for (int v = 0; v < NV; v++) a[j][v] += d * x[v];
        }
    }
    for (int j = 0; j < NA; j++)
        for (int v = 0; v < NV; v++) storev(acc + (size_t)j * KP + VL * v, a[j][v]);
}

// xs[q, k] = cols_b[k, q] = in_b[tap[k] + pix[q]] for k < K, 0 for K ≤ k < NV·VL: output row by output
// row, VL pixels at a time through registers (row k of the block: VL pixels of tap k, side by side in
// the image; transpose_block makes them VL vectors of taps), VL taps at a time, the last block of a row
// ending at OW (overlapping the one before: the same values again); rows narrower than VL one value at
// a time.
template <int NV>
static void taps_columns(float* xs, const float* in_b, const int* tap, int K, int Wd, int OH, int OW) {
    constexpr int KP = NV * VL;
    for (int y = 0; y < OH; y++) {
        float* xs_y = xs + (size_t)y * OW * KP;
        const float* row = in_b + (size_t)y * Wd;
        if (OW < VL) {
            for (int x = 0; x < OW; x++)
                for (int k = 0; k < KP; k++) xs_y[(size_t)x * KP + k] = k < K ? row[tap[k] + x] : 0.0f;
            continue;
        }
        for (int x0 = 0;; x0 = std::min(x0 + VL, OW - VL)) {
            for (int v = 0; v < NV; v++) {  // taps [VL·v, VL·v + VL)
                vecf r[VL];
                for (int k = 0; k < VL; k++)
                    r[k] = VL * v + k < K ? loadv(row + tap[VL * v + k] + x0) : vecf{};
                kernels::transpose_block(r);  // r[i] = those taps of pixel x0 + i
                for (int i = 0; i < VL; i++) storev(xs_y + (size_t)(x0 + i) * KP + VL * v, r[i]);
            }
            if (x0 == OW - VL) break;
        }
    }
}

bool conv2d_direct_weight_grad_taps_fits(int C_in, int KH, int KW, int stride) {
    return stride == 1 && C_in * KH * KW <= 2 * VL;
}

template <int NV>
static void weight_grad_taps(float* dW, const float* dout, const float* inp, const int* tp, int B,
                             int in_size, int K, int C_out, int Wd, int OH, int OW) {
    constexpr int KP = NV * VL;
    const int P = OH * OW;
    parallel_for(C_out, [&](int o0, int o1) {
        // xs (P, KP): one image's cols, transposed, zeros past K; acc (C_out, KP): dW's rows in lanes
        thread_local Buf xs, acc;
        if (xs.size() < (size_t)P * KP) xs.resize((size_t)P * KP);
        if (acc.size() < (size_t)C_out * KP) acc.resize((size_t)C_out * KP);
        for (int o = o0; o < o1; o++)
            for (int k = 0; k < KP; k++) acc[(size_t)o * KP + k] = k < K ? dW[(size_t)o * K + k] : 0.0f;
        for (int b = 0; b < B; b++) {
            taps_columns<NV>(xs.data(), inp + (size_t)b * in_size, tp, K, Wd, OH, OW);
            const float* dout_b = dout + (size_t)b * C_out * P;
            auto rows = [&]<int NA>(int o) {  // channels o … o + NA − 1
                taps_rows<NA, NV>(acc.data() + (size_t)o * KP, xs.data(), dout_b + (size_t)o * P, P);
            };
            // NA·NV accumulators: 12 of AVX2's 16 registers when NV = 2 (with 8, chapter 11's first conv
            // took 1.12–1.17 times as long: 8 chains of multiply-adds barely cover their latency)
            int o = o0;
            for (; o + 12 / NV <= o1; o += 12 / NV) rows.template operator()<12 / NV>(o);
            for (; o + 4 / NV <= o1; o += 4 / NV) rows.template operator()<4 / NV>(o);
            for (; o < o1; o++) rows.template operator()<1>(o);
        }
        for (int o = o0; o < o1; o++)
            for (int k = 0; k < K; k++) dW[(size_t)o * K + k] = acc[(size_t)o * KP + k];
    });
}

void conv2d_direct_weight_grad_taps(float* dW, const float* dout, const float* inp, int B, int C_in, int H,
                                    int Wd, int C_out, int KH, int KW) {
    const int OH = H - KH + 1, OW = Wd - KW + 1, K = C_in * KH * KW, in_size = C_in * H * Wd;
    thread_local std::vector<int> tap;
    tap_offsets(tap, C_in, H, Wd, KH, KW);
    count_matmul_flops(2LL * B * C_out * K * OH * OW);
    if (K <= VL) weight_grad_taps<1>(dW, dout, inp, tap.data(), B, in_size, K, C_out, Wd, OH, OW);
    else weight_grad_taps<2>(dW, dout, inp, tap.data(), B, in_size, K, C_out, Wd, OH, OW);
}

}  // namespace attn
