// conv2d_direct.cpp — the stride-1 convolution without im2col, on images without padding (conv2d.cpp
// pads them first where there is padding); see conv2d_direct.hpp.
#include "common/nn/conv2d_direct.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"  // count_matmul_flops
#include "common/core/matmul_kernels.hpp"  // vecf, loadv, storev, transpose_block, transpose
#include "common/core/thread_pool.hpp"
#include "common/core/vmath.hpp"  // store_n

namespace attn {

using kernels::loadv;
using kernels::storev;
using kernels::VL;
using kernels::vecf;

// Accumulators a kernel keeps in registers: 24 of AVX-512's 32 vector registers, 12 of AVX2's 16
constexpr int kAccs = VL == 16 ? 24 : 12;

// tap[k] = c·H·Wd + i·Wd + j for k = (c·KH + i)·KW + j, and pix[q] = y·Wd + x for q = y·OW + x (the
// offsets of conv2d_direct.hpp), into vectors the caller keeps: a few hundred ints a call, no allocation
// once they have grown
static void tap_offsets(std::vector<int>& tap, int C_in, int H, int Wd, int KH, int KW) {
    tap.clear();
    for (int c = 0; c < C_in; c++)
        for (int i = 0; i < KH; i++)
            for (int j = 0; j < KW; j++) tap.push_back((c * H + i) * Wd + j);
}
static void pixel_offsets(std::vector<int>& pix, int Wd, int OH, int OW) {
    pix.clear();
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++) pix.push_back(y * Wd + x);
}

// Channels padded to whole blocks of NO vectors: Cp columns, the ones past C_out zero
static int padded_channels(int C_out, int NO) { return (C_out + NO * VL - 1) / (NO * VL) * (NO * VL); }
// Vectors of channels per block: the most that pad C_out least, up to 4, and as many as leave a
// register spare beside the kAccs accumulators, the block's NO weight vectors and the broadcast pixel
// (kAccs + NO + 1 < kRegs): AVX-512 up to 4, AVX2 up to 2. (On AVX2 48 channels are 6 vectors:
// blocks of 4 padded them to 64 and made the classifier's second conv slower than im2col's, 1.09–1.20
// of its forward time. Blocks of 3 pad nothing, but 12 + 3 + 1 fill all 16 registers, and g++ then
// read the 3 weight vectors from memory at every multiply-add: 12 vector loads for 12 multiply-adds,
// which on a Zen 3 ran at the loads' pace. Blocks of 2, tiles 6 wide, keep them in registers: chapter
// 11's middle stage, one thread, forward 12.1–14.8 → 9.1–10.2 ms, weight gradient 11.6–14.5 → 8.6–9.0.)
constexpr int kRegs = VL == 16 ? 32 : 16;  // vector registers: AVX-512 32, AVX2 (and SSE) 16
static int channel_vectors(int C_out) {
    const int vectors = (C_out + VL - 1) / VL;
    int best = 1;
    for (int no = 2; no <= std::min(4, vectors) && kAccs + no + 1 < kRegs; no++)
        if (padded_channels(C_out, no) <= padded_channels(C_out, best)) best = no;
    return best;
}

// A tile's width: the output pixels (forward_batch) or the taps (weight_grad_blocks) whose sums it
// keeps in registers, kAccs / NO for blocks of NO channel vectors
static int tile_width(int C_out) { return kAccs / channel_vectors(C_out); }
// With padding: tiles at least 4 wide, and for the forward rows at least a tile wide, cut into whole
// tiles with at most a third more (the forward's tiles run on across rows, forward_image, but a wider
// tile than that measured slower than im2col's product). (Built for AVX2 with blocks of 4 vectors,
// chapter 11's last stage had tiles 3 wide: its direct forward took 1.3–1.4 times im2col's time, its
// weight gradient 1.07–1.18. With blocks of 2, tiles 6 wide against its rows of 7, its forward took a
// median 6.9 ms (4.2–9.2) on two threads where im2col's took 5.3 (4.3–7.3): a batch of 128, 10 runs
// each, alternating, on a Zen 3.)
bool conv2d_direct_forward_fits(int C_in, int C_out, int OW, int stride, int pad) {
    if (stride != 1) return false;
    const int X = tile_width(C_out), whole = (OW + X - 1) / X * X;
    return pad == 0 || (C_in >= VL / 2 && X >= 4 && OW >= X && 3 * whole <= 4 * OW);
}
bool conv2d_direct_weight_grad_fits(int C_in, int C_out, int stride, int pad) {
    return stride == 1 && (pad == 0 || (C_in >= VL / 2 && tile_width(C_out) >= 4));
}

// ---- forward ---------------------------------------------------------------------------------

// One tile: channels [o0, o0 + NO·VL) (those below C_out stored) × the X output pixels q0, ..., q0 + X − 1
// (in the order of out_b's rows, a tile may run on into the next row), whose inputs for tap k are
// in_b[tap[k] + px[x]] (px = pix + q0). InRow: the tile lies in one row, its inputs side by side,
// in_b[tap[k] + px[0] + x] (the offsets x are then constants of the code, not X more registers).
// out_q = out_b + q0.
template <int NO, int X, bool InRow>
static void forward_tile(float* out_q, const float* in_b, const int* px, const float* Wt, int Cp,
                         const int* tap, int K, int o0, int C_out, int P, const float* bias) {
    int at[X];  // the tile's pixels (InRow: only at[0] is read, the others are at[0] + x)
    for (int x = 0; x < X; x++) at[x] = px[x];
    vecf acc[NO][X] = {};
    for (int k = 0; k < K; k++) {
        vecf w[NO];  // Wᵀ[k, o0 ...]: VL channels' weight of tap k
        for (int v = 0; v < NO; v++) w[v] = loadv(Wt + (size_t)k * Cp + o0 + VL * v);
        const float* in_k = in_b + tap[k] + (InRow ? at[0] : 0);
#pragma GCC unroll 24
        for (int x = 0; x < X; x++) {
            const float a = InRow ? in_k[x] : in_k[at[x]];         // cols_b[k, q]
            for (int v = 0; v < NO; v++) acc[v][x] += w[v] * a;    // out[o, q] = out[o, q] + W[o, k]·cols_b[k, q]
        }
    }
    // acc[v][x] holds VL channels of one pixel; out wants each channel's pixels side by side: VL
    // pixels at a time (zeros past X) transposed in registers, r[l] then channel o0 + VL·v + l's
    for (int v = 0; v < NO; v++)
        for (int x0 = 0; x0 < X; x0 += VL) {
            const int n = std::min(VL, X - x0);
            vecf r[VL];
            for (int x = 0; x < VL; x++) r[x] = x < n ? acc[v][x0 + x] : vecf{};
            kernels::transpose_block(r);
            for (int l = 0; l < VL; l++) {
                const int o = o0 + VL * v + l;
                if (o >= C_out) break;
                const vecf y = bias ? r[l] + bias[o] : r[l];  // then + b[o]
                vm::store_n(out_q + (size_t)o * P + x0, y, n);  // its first n lanes
            }
        }
}

// Every tile of one image: its P output pixels X at a time, in order (the last tile moved back to end
// at P: its pixels computed twice, the same numbers), channel blocks o0. (When each tile held pixels
// of one row, a row of 14 was 6 + 6 + 6 on AVX2, the last moved left: 18 computed for 14. An image of
// 14×14 is now 33 tiles of 6, 198 computed for 196.)
template <int NO, int X>
static void forward_image(float* out_b, const float* in_b, const int* pix, const float* Wt, int Cp,
                          const int* tap, int K, int C_out, int P, const float* bias) {
    for (int q = 0; q < P; q += X) {
        const int q0 = std::min(q, P - X);
        const bool in_row = pix[q0 + X - 1] - pix[q0] == X - 1;
        float* out_q = out_b + q0;
        for (int o0 = 0; o0 < C_out; o0 += NO * VL)
            if (in_row) forward_tile<NO, X, true>(out_q, in_b, pix + q0, Wt, Cp, tap, K, o0, C_out, P, bias);
            else forward_tile<NO, X, false>(out_q, in_b, pix + q0, Wt, Cp, tap, K, o0, C_out, P, bias);
    }
}

// The widest tile of NO vectors' accumulators that fits a row of OW pixels (so a tile spans at most
// two rows, and tiles as wide as the rows lie in one: on AVX-512 an image of 8×8 takes tiles of 8,
// not 24 whose 24 offsets g++ kept on the stack, reloading one at every multiply-add)
template <int NO>
static void forward_batch(float* out, const float* inp, const float* Wt, int Cp, const int* tap,
                          const int* pix, int B, int K, int C_out, int in_size, int OW, int P,
                          const float* bias) {
    constexpr int X1 = kAccs / NO, X2 = std::max(1, X1 / 2), X3 = std::max(1, X1 / 3);
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            float* out_b = out + (size_t)b * C_out * P;
            const float* in_b = inp + (size_t)b * in_size;
            if (OW >= X1) forward_image<NO, X1>(out_b, in_b, pix, Wt, Cp, tap, K, C_out, P, bias);
            else if (OW >= X2) forward_image<NO, X2>(out_b, in_b, pix, Wt, Cp, tap, K, C_out, P, bias);
            else if (OW >= X3) forward_image<NO, X3>(out_b, in_b, pix, Wt, Cp, tap, K, C_out, P, bias);
            else forward_image<NO, 1>(out_b, in_b, pix, Wt, Cp, tap, K, C_out, P, bias);
        }
    });
}

void conv2d_direct_forward(float* out, const float* inp, const float* W, const float* b, int B, int C_in, int H,
                           int Wd, int C_out, int KH, int KW) {
    const int OH = H - KH + 1, OW = Wd - KW + 1, K = C_in * KH * KW, P = OH * OW;
    const int NO = channel_vectors(C_out), Cp = padded_channels(C_out, NO);
    thread_local Buf Wt;  // Wᵀ (K, Cp): Wt[k, o] = W[o, k], 0 past C_out
    Wt.assign((size_t)K * Cp, 0.0f);
    for (int o = 0; o < C_out; o++)
        for (int k = 0; k < K; k++) Wt[(size_t)k * Cp + o] = W[(size_t)o * K + k];
    thread_local std::vector<int> tap, pix;
    tap_offsets(tap, C_in, H, Wd, KH, KW), pixel_offsets(pix, Wd, OH, OW);
    const int in_size = C_in * H * Wd;
    count_matmul_flops(2LL * B * C_out * K * P);
    const float* Wp = Wt.data();
    const int *tp = tap.data(), *px = pix.data();
    switch (NO) {
        case 1: return forward_batch<1>(out, inp, Wp, Cp, tp, px, B, K, C_out, in_size, OW, P, b);
        case 2: return forward_batch<2>(out, inp, Wp, Cp, tp, px, B, K, C_out, in_size, OW, P, b);
        case 3: return forward_batch<3>(out, inp, Wp, Cp, tp, px, B, K, C_out, in_size, OW, P, b);
        default: return forward_batch<4>(out, inp, Wp, Cp, tp, px, B, K, C_out, in_size, OW, P, b);
    }
}

// ---- weight gradient -------------------------------------------------------------------------

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

// ---- input gradient --------------------------------------------------------------------------

// dinp_b[c, y + i, x + j] += Σ_o W[o, c, i, j]·dout_b[o, y, x]: col2im of dcols_b = Wᵀ · dout_b. Lanes
// are VL input channels, the image's dinp transposed to (H·Wd, Cq) while it is summed. For output
// pixel (y, x), tap k = (i, j)'s term is the chain over o that matmul_tn computed for dcols, then added
// to its pixel as col2im added it. col2im added a pixel's terms in the order of the taps; with the
// taps in groups of NT, group after group, and in a group the output pixels visited from the last to
// the first, a pixel's terms (from the output pixels (iy − i, ix − j)) come in that order again.
// One tile: output pixels q, q − 1, ..., q − NPX + 1 × taps [t0, t0 + NT) (the taps past T have zero
// weights; their terms are not stored). Each weight vector loaded serves NPX pixels.
template <int NT, int NPX>
static void input_grad_tile(float* din_t, const float* Wg, const float* dout_b, const int* to_pixel, int t0, int T,
                            int C_out, int P, int q, int OW, int Wd, int Cq, int c0) {
    vecf t[NPX][NT] = {};
    for (int o = 0; o < C_out; o++) {
        float d[NPX];  // dout_b[o, q − px]
        for (int px = 0; px < NPX; px++) d[px] = dout_b[(size_t)o * P + q - px];
        const float* w = Wg + ((size_t)t0 * C_out + o) * Cq + c0;  // W[o, c0 ..., tap t0]
        for (int n = 0; n < NT; n++) {
            const vecf wn = loadv(w + (size_t)n * C_out * Cq);
            for (int px = 0; px < NPX; px++) t[px][n] += wn * d[px];  // dcols + W[o, c, tap]·dout_b[o, q]
        }
    }
    for (int px = 0; px < NPX; px++) {
        const int at = (q - px) / OW * Wd + (q - px) % OW;  // output pixel (y, x) at input pixel (y, x)
        for (int n = 0; n < NT && t0 + n < T; n++) {
            float* p = din_t + (size_t)(at + to_pixel[t0 + n]) * Cq + c0;
            storev(p, loadv(p) + t[px][n]);  // dinp + dcols
        }
    }
}

// Pixels per tile and taps per group: NPX·NT accumulators of kAccs; groups as even as NT ≤ 6 allows
constexpr int kTilePixels = kAccs / 6;
static int tap_group(int T) {
    const int groups = (T + 5) / 6;
    return (T + groups - 1) / groups;
}

bool conv2d_direct_input_grad_fits(int C_in, int stride, int pad) { return stride == 1 && pad == 0 && C_in >= VL / 2; }

template <int NT>
static void input_grad_batch(float* dinp, const float* dout, const float* Wg, const int* to_pixel, int B, int C_in,
                             int H, int Wd, int C_out, int OH, int OW, int T, int Cq) {
    const int P = OH * OW, HW = H * Wd;
    parallel_for(B, [&](int b0, int b1) {
        thread_local Buf din_t;  // (H·Wd, Cq): one image's dinp transposed
        if (din_t.size() < (size_t)HW * Cq) din_t.resize((size_t)HW * Cq);
        for (int b = b0; b < b1; b++) {
            float* dinp_b = dinp + (size_t)b * C_in * HW;
            const float* dout_b = dout + (size_t)b * C_out * P;
            kernels::transpose(din_t.data(), Cq, dinp_b, HW, C_in, Cq, HW);
            for (int c0 = 0; c0 < Cq; c0 += VL)
                for (int t0 = 0; t0 < T; t0 += NT) {
                    int q = P - 1;  // the output pixels from the last to the first
                    for (; q + 1 >= kTilePixels; q -= kTilePixels)
                        input_grad_tile<NT, kTilePixels>(din_t.data(), Wg, dout_b, to_pixel, t0, T, C_out, P, q, OW,
                                                         Wd, Cq, c0);
                    for (; q >= 0; q--)
                        input_grad_tile<NT, 1>(din_t.data(), Wg, dout_b, to_pixel, t0, T, C_out, P, q, OW, Wd, Cq, c0);
                }
            kernels::transpose(dinp_b, HW, din_t.data(), Cq, HW, HW, C_in);
        }
    });
}

void conv2d_direct_input_grad(float* dinp, const float* dout, const float* W, int B, int C_in, int H, int Wd,
                              int C_out, int KH, int KW) {
    const int OH = H - KH + 1, OW = Wd - KW + 1, T = KH * KW;
    const int Cq = (C_in + VL - 1) / VL * VL, NT = tap_group(T), Tp = (T + NT - 1) / NT * NT;
    thread_local Buf Wg;  // (Tp, C_out, Cq): Wg[tap, o, c] = W[o, c, tap]; 0 past C_in and T
    Wg.assign((size_t)Tp * C_out * Cq, 0.0f);
    for (int o = 0; o < C_out; o++)
        for (int c = 0; c < C_in; c++)
            for (int k = 0; k < T; k++) Wg[((size_t)k * C_out + o) * Cq + c] = W[((size_t)o * C_in + c) * T + k];
    thread_local std::vector<int> to_pixel;  // tap (i, j) of output pixel (y, x) lands on input pixel
    tap_offsets(to_pixel, 1, H, Wd, KH, KW);  // (y, x) + i·Wd + j: one channel's taps
    count_matmul_flops(2LL * B * C_out * C_in * T * OH * OW);
    auto run = [&]<int N>() {
        input_grad_batch<N>(dinp, dout, Wg.data(), to_pixel.data(), B, C_in, H, Wd, C_out, OH, OW, T, Cq);
    };
    switch (NT) {
        case 1: return run.template operator()<1>();
        case 2: return run.template operator()<2>();
        case 3: return run.template operator()<3>();
        case 4: return run.template operator()<4>();
        case 5: return run.template operator()<5>();
        default: return run.template operator()<6>();
    }
}

}  // namespace attn
