// conv2d_direct_input_grad.cpp — the direct convolution's input gradient (conv2d_direct.hpp), for
// convolutions without padding (chapter 09's).
#include "common/nn/conv2d_direct.hpp"

#include <cstddef>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"  // count_matmul_flops
#include "common/core/matmul_kernels.hpp"  // vecf, loadv, storev, transpose
#include "common/core/thread_pool.hpp"
#include "common/nn/conv2d_direct_tiles.hpp"  // kAccs, tap offsets

namespace attn {

using namespace direct_conv;
using kernels::loadv;
using kernels::storev;
using kernels::vecf;

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
