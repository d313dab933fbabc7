// conv2d_direct.cpp — the stride-1 convolution without im2col, on images without padding (conv2d.cpp
// pads them first where there is padding): the forward here, the gradients in
// conv2d_direct_weight_grad.cpp and conv2d_direct_input_grad.cpp; see conv2d_direct.hpp.
#include "common/nn/conv2d_direct.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"  // count_matmul_flops
#include "common/core/matmul_kernels.hpp"  // vecf, loadv, transpose_block, transpose
#include "common/core/thread_pool.hpp"
#include "common/core/vmath.hpp"  // store_n
#include "common/nn/conv2d_direct_tiles.hpp"  // kAccs, tap and pixel offsets, channel blocks

namespace attn {

using namespace direct_conv;
using kernels::loadv;
using kernels::vecf;

// ---- forward ---------------------------------------------------------------------------------

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
    thread_local Buf Wt;  // Wᵀ (K, Cp): Wt[k, o] = W[o, k], 0 past C_out (the transpose writes those zeros)
    if (Wt.size() < (size_t)K * Cp) Wt.resize((size_t)K * Cp);
    kernels::transpose(Wt.data(), Cp, W, K, C_out, Cp, K);
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

}  // namespace attn
