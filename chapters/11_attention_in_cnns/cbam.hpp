// cbam.hpp — the Convolutional Block Attention Module (Woo, Park, Lee, Kweon, "CBAM: Convolutional
// Block Attention Module", ECCV 2018): channel attention, then spatial attention, one after the other.
//
//   x (B,C,HW) ─ channel attention ─▶ x1 = M_c(x) ⊙ x ─ spatial attention ─▶ out = M_s(x1) ⊙ x1   (eq. 1)
//
// Channel attention (eq. 2) — SE's idea with two summaries instead of one, through ONE shared MLP:
//   a = mean_p x[b,c,p],   m = max_p x[b,c,p]                               (B,C) each
//   M_c = σ( MLP(a) + MLP(m) ),   MLP(v) = W2 · relu(W1 v + b1) + b2         (B,C)
// Spatial attention (eq. 3) — where to look, from what every channel says about each pixel:
//   d = [mean_c x1[b,c,p] ; max_c x1[b,c,p]]                                 (B,2,H,W)
//   M_s = σ( conv7×7(d) )                                                     (B,1,H,W)
// The paper's code follows its conv with a batch norm over the one-channel map; we keep the
// equation as printed (a conv with a bias), which the PyTorch fixture mirrors.
//
// Shapes: B batch, C channels, Cr = C / r the MLP's bottleneck, H side, HW = H·H pixels.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "chapters/11_attention_in_cnns/squeeze_excitation.hpp"
#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"
#include "common/core/reduce.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/activations.hpp"

namespace ch11 {
using namespace attn;

// ---- channel attention ------------------------------------------------------------------------

struct ChannelAttnActs {
    Buf pooled;                // (2B,C) rows 0..B−1: the means a; rows B..2B−1: the maxima m
    std::vector<int> argmax;   // (B,C) the pixel p of each maximum (first on ties)
    Buf h, z;                  // (2B,Cr) W1 v + b1, relu of it — both descriptors in one batch
    Buf o;                     // (2B,C)  MLP(v)
    Buf u, e;                  // (B,C)   MLP(a) + MLP(m), and M_c = σ(u)
    Buf dpooled, dh, dz, dout_mlp, du, de;
    void resize(int B, int C, int Cr) {
        for (Buf* b : {&pooled, &o, &dpooled, &dout_mlp}) b->resize((size_t)2 * B * C);
        for (Buf* b : {&h, &z, &dh, &dz}) b->resize((size_t)2 * B * Cr);
        for (Buf* b : {&u, &e, &du, &de}) b->resize((size_t)B * C);
        argmax.resize((size_t)B * C);
    }
};

// x (B,C,HW) -> out (B,C,HW) = M_c ⊙ x; W1 (Cr,C), b1 (Cr), W2 (C,Cr), b2 (C) — the shared MLP.
inline void channel_attention_forward(float* out, ChannelAttnActs& a, const float* x, const float* W1,
                                      const float* b1, const float* W2, const float* b2, int B, int C, int Cr,
                                      int HW) {
    // BEGIN SOLUTION
    // a[b,c] = mean_p x[b,c,p] (row b);   m[b,c] = max_p x[b,c,p] (row B + b)
    parallel_for(B * C, [&](int i0, int i1) {
        for (int bc = i0; bc < i1; bc++) {  // (reduce.hpp: 16 chains at once; the max's first position)
            const float* xp = x + (size_t)bc * HW;
            a.pooled[bc] = sum_lanes(xp, HW) / HW;
            a.pooled[(size_t)B * C + bc] = max_lanes(xp, HW, &a.argmax[bc]);
        }
    }, planes_chunk(HW));
    // the shared MLP on both descriptors at once: o = W2 · relu(W1 v + b1) + b2,  v ∈ {a, m}
    linear_forward(a.h.data(), a.pooled.data(), W1, b1, 2 * B, C, Cr);
    relu_forward(a.z.data(), a.h.data(), 2 * B * Cr);
    linear_forward(a.o.data(), a.z.data(), W2, b2, 2 * B, Cr, C);
    // M_c = σ(MLP(a) + MLP(m))
    for (int bc = 0; bc < B * C; bc++) a.u[bc] = a.o[bc] + a.o[(size_t)B * C + bc];
    sigmoid_forward(a.e.data(), a.u.data(), B * C);
    // out[b,c,p] = M_c[b,c] · x[b,c,p]
    parallel_for(B * C, [&](int i0, int i1) {
        for (int bc = i0; bc < i1; bc++) {
            const float* xp = x + (size_t)bc * HW;
            float* op = out + (size_t)bc * HW;
            const float e = a.e[bc];
            for (int p = 0; p < HW; p++) op[p] = e * xp[p];
        }
    }, planes_chunk(HW));
    // END SOLUTION
}

// dx (B,C,HW), dW1, db1, dW2, db2 += gradients; dout (B,C,HW); x and a from the forward.
inline void channel_attention_backward(float* dx, float* dW1, float* db1, float* dW2, float* db2, ChannelAttnActs& a,
                                       const float* dout, const float* x, const float* W1, const float* W2, int B,
                                       int C, int Cr, int HW) {
    // BEGIN SOLUTION
    for (Buf* b : {&a.dpooled, &a.dh, &a.dz, &a.dout_mlp, &a.du}) std::fill(b->begin(), b->end(), 0.0f);
    // out = M_c · x   →   dM_c[b,c] = Σ_p dout · x;   dx += M_c · dout
    parallel_for(B * C, [&](int i0, int i1) {
        for (int bc = i0; bc < i1; bc++) {
            const float* xp = x + (size_t)bc * HW;
            const float* gp = dout + (size_t)bc * HW;
            float* dxp = dx + (size_t)bc * HW;
            const float e = a.e[bc];
            a.de[bc] = dot_lanes(gp, xp, HW);
            for (int p = 0; p < HW; p++) dxp[p] += e * gp[p];
        }
    }, planes_chunk(HW));
    // M_c = σ(u) → du;   u = o_a + o_m  →  both halves of dout_mlp receive du
    sigmoid_backward(a.du.data(), a.de.data(), a.e.data(), B * C);
    std::copy_n(a.du.begin(), (size_t)B * C, a.dout_mlp.begin());
    std::copy_n(a.du.begin(), (size_t)B * C, a.dout_mlp.begin() + (size_t)B * C);
    // the shared MLP, backward over both descriptors: its weight gradients are the two paths' sum
    linear_backward(a.dz.data(), dW2, db2, a.dout_mlp.data(), a.z.data(), W2, 2 * B, Cr, C);
    relu_backward(a.dh.data(), a.dz.data(), a.h.data(), 2 * B * Cr);
    linear_backward(a.dpooled.data(), dW1, db1, a.dh.data(), a.pooled.data(), W1, 2 * B, C, Cr);
    // a = mean_p x → dx += da / HW everywhere;   m = max_p x → dx[argmax] += dm
    parallel_for(B * C, [&](int i0, int i1) {
        for (int bc = i0; bc < i1; bc++) {
            float* dxp = dx + (size_t)bc * HW;
            const float g = a.dpooled[bc] / HW;
            for (int p = 0; p < HW; p++) dxp[p] += g;
            dxp[a.argmax[bc]] += a.dpooled[(size_t)B * C + bc];
        }
    }, planes_chunk(HW));
    // END SOLUTION
}

// ---- spatial attention ------------------------------------------------------------------------

struct SpatialAttnActs {
    Buf desc;                  // (B,2,H,W) channel 0: mean_c x1;  channel 1: max_c x1
    std::vector<int> argmax;   // (B,HW) the channel c of each maximum (first on ties)
    Buf logit, s;              // (B,1,H,W) the conv's output and M_s = σ(logit)
    Buf ddesc, dlogit, ds;
    void resize(int B, int HW) {
        desc.resize((size_t)2 * B * HW), ddesc.resize((size_t)2 * B * HW);
        argmax.resize((size_t)B * HW);
        for (Buf* b : {&logit, &s, &dlogit, &ds}) b->resize((size_t)B * HW);
    }
};

// The spatial conv: 2 input channels, 1 output, k×k, padding P = k/2 (the side stays H), written as
// plain loops — with one output channel, im2col + matmul would spend its time copying.
//   logit[b,y,x] = bias + Σ_{c<2, i<k, j<k} W[c,i,j] · d[b,c, y+i−P, x+j−P]      (zero outside the image)
// For each tap (c,i,j) the output pixels x whose input column x+j−P lies inside are [x0, x1).
inline void tap_range(int j, int P, int H, int& x0, int& x1) {
    x0 = std::max(0, P - j), x1 = std::min(H, H + P - j);
}
inline void spatial_conv_forward(float* logit, const float* d, const float* W, const float* bias, int B, int H, int k) {
    const int HW = H * H, P = k / 2;
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            float* out = logit + (size_t)b * HW;
            std::fill(out, out + HW, bias[0]);
            for (int c = 0; c < 2; c++)
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) {
                        const float w = W[(c * k + i) * k + j];
                        int x0, x1;
                        tap_range(j, P, H, x0, x1);
                        for (int y = std::max(0, P - i); y < std::min(H, H + P - i); y++) {
                            const float* src = d + ((size_t)(b * 2 + c) * H + (y + i - P)) * H + (j - P);
                            float* o = out + (size_t)y * H;
                            for (int x = x0; x < x1; x++) o[x] += w * src[x];
                        }
                    }
        }
    });
}
// dd (B,2,H,H), dW (2,k,k), dbias (1) += gradients; dlogit (B,H,H).
//   dW[c,i,j] += Σ_{b,y,x} dlogit[b,y,x] · d[b,c,y+i−P,x+j−P]      dbias += Σ dlogit
//   dd[b,c,y+i−P,x+j−P] += W[c,i,j] · dlogit[b,y,x]
// Each thread owns whole taps for dW and whole images for dd. A tap's dW sums B·H·H products: one
// running sum per output column x (H independent chains over b and y, side by side in a vector
// register), added up at the end (reduce.hpp) — the same order on any thread count.
inline void spatial_conv_backward(float* dd, float* dW, float* dbias, const float* dlogit, const float* d,
                                  const float* W, int B, int H, int k) {
    const int HW = H * H, P = k / 2;
    parallel_for(2 * k * k, [&](int t0, int t1) {
        std::vector<float> col(H);  // col[x] = Σ_{b,y} dlogit[b,y,x] · d[b,c,y+i−P,x+j−P]
        for (int t = t0; t < t1; t++) {
            const int c = t / (k * k), i = (t / k) % k, j = t % k;
            int x0, x1;
            tap_range(j, P, H, x0, x1);
            std::fill(col.begin(), col.end(), 0.0f);
            for (int b = 0; b < B; b++)
                for (int y = std::max(0, P - i); y < std::min(H, H + P - i); y++) {
                    const float* src = d + ((size_t)(b * 2 + c) * H + (y + i - P)) * H + (j - P);
                    const float* g = dlogit + (size_t)b * HW + (size_t)y * H;
                    for (int x = x0; x < x1; x++) col[x] += g[x] * src[x];
                }
            dW[t] += sum_lanes(col.data() + x0, x1 - x0);
        }
    });
    dbias[0] += sum_lanes(dlogit, B * HW);
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++)
            for (int c = 0; c < 2; c++)
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) {
                        const float w = W[(c * k + i) * k + j];
                        int x0, x1;
                        tap_range(j, P, H, x0, x1);
                        for (int y = std::max(0, P - i); y < std::min(H, H + P - i); y++) {
                            float* dst = dd + ((size_t)(b * 2 + c) * H + (y + i - P)) * H + (j - P);
                            const float* g = dlogit + (size_t)b * HW + (size_t)y * H;
                            for (int x = x0; x < x1; x++) dst[x] += w * g[x];
                        }
                    }
    });
}

// One image xb (C,HW): mean[p] = mean_c xb[c,p], mx[p] = max_c xb[c,p], arg[p] = its first c.
// Three passes over the channels, each a loop the compiler vectorises (the max is a select, not a
// branch: one vector max instruction); the plain scan's answer exactly (the max is exact, and the
// arg pass runs down to c = 0, so the smallest c holding the maximum is written last).
inline void channel_mean_max(float* mean, float* mx, int* arg, const float* xb, int C, int HW) {
    std::copy(xb, xb + HW, mean), std::copy(xb, xb + HW, mx), std::fill(arg, arg + HW, 0);
    for (int c = 1; c < C; c++)
        for (int p = 0; p < HW; p++) mean[p] += xb[(size_t)c * HW + p];
    for (int p = 0; p < HW; p++) mean[p] /= C;
    for (int c = 1; c < C; c++)
        for (int p = 0; p < HW; p++) mx[p] = xb[(size_t)c * HW + p] > mx[p] ? xb[(size_t)c * HW + p] : mx[p];
    for (int c = C - 1; c >= 0; c--)
        for (int p = 0; p < HW; p++) arg[p] = xb[(size_t)c * HW + p] == mx[p] ? c : arg[p];
}

// x1 (B,C,H,H) -> out (B,C,H,H) = M_s ⊙ x1; Wsp (1,2,k,k), bsp (1).
inline void spatial_attention_forward(float* out, SpatialAttnActs& a, const float* x1, const float* Wsp,
                                      const float* bsp, int B, int C, int H, int k) {
    // BEGIN SOLUTION
    const int HW = H * H;
    // d[b,0,p] = mean_c x1[b,c,p];   d[b,1,p] = max_c x1[b,c,p]
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++)
            channel_mean_max(a.desc.data() + (size_t)b * 2 * HW, a.desc.data() + (size_t)(b * 2 + 1) * HW,
                             a.argmax.data() + (size_t)b * HW, x1 + (size_t)b * C * HW, C, HW);
    });
    // M_s = σ(conv_k×k(d) + b)
    spatial_conv_forward(a.logit.data(), a.desc.data(), Wsp, bsp, B, H, k);
    sigmoid_forward(a.s.data(), a.logit.data(), B * HW);
    // out[b,c,p] = M_s[b,p] · x1[b,c,p]
    parallel_for(B * C, [&](int i0, int i1) {
        for (int bc = i0; bc < i1; bc++) {
            const float* xp = x1 + (size_t)bc * HW;
            const float* sp = a.s.data() + (size_t)(bc / C) * HW;
            float* op = out + (size_t)bc * HW;
            for (int p = 0; p < HW; p++) op[p] = sp[p] * xp[p];
        }
    }, planes_chunk(HW));
    // END SOLUTION
}

// dx1 (B,C,H,H), dWsp, dbsp += gradients; dout (B,C,H,H); x1 and a from the forward.
inline void spatial_attention_backward(float* dx1, float* dWsp, float* dbsp, SpatialAttnActs& a, const float* dout, const float* x1, const float* Wsp, int B, int C, int H,
                                       int k) {
    // BEGIN SOLUTION
    const int HW = H * H;
    for (Buf* b : {&a.ddesc, &a.dlogit}) std::fill(b->begin(), b->end(), 0.0f);
    // out = M_s · x1   →   dM_s[b,p] = Σ_c dout · x1;   dx1 += M_s · dout
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            float* ds = a.ds.data() + (size_t)b * HW;
            const float* sp = a.s.data() + (size_t)b * HW;
            std::fill(ds, ds + HW, 0.0f);
            for (int c = 0; c < C; c++) {
                const size_t off = ((size_t)b * C + c) * HW;
                for (int p = 0; p < HW; p++) {
                    ds[p] += dout[off + p] * x1[off + p];
                    dx1[off + p] += sp[p] * dout[off + p];
                }
            }
        }
    });
    // M_s = σ(logit) → dlogit;   logit = conv(d) + b → dWsp, dbsp, dd
    sigmoid_backward(a.dlogit.data(), a.ds.data(), a.s.data(), B * HW);
    spatial_conv_backward(a.ddesc.data(), dWsp, dbsp, a.dlogit.data(), a.desc.data(), Wsp, B, H, k);
    // d_mean = mean_c x1 → dx1[c] += dd_mean / C for every c;   d_max = max_c x1 → dx1[argmax] += dd_max
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            const float* dmean = a.ddesc.data() + (size_t)b * 2 * HW;
            const float* dmax = dmean + HW;
            const int* arg = a.argmax.data() + (size_t)b * HW;
            float* dxb = dx1 + (size_t)b * C * HW;
            for (int c = 0; c < C; c++)
                for (int p = 0; p < HW; p++) dxb[(size_t)c * HW + p] += dmean[p] / C;
            for (int p = 0; p < HW; p++) dxb[(size_t)arg[p] * HW + p] += dmax[p];
        }
    });
    // END SOLUTION
}

}  // namespace ch11
