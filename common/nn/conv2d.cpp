// conv2d.cpp — convolution as im2col + matmul; see conv2d.hpp for the shapes.
#include "common/nn/conv2d.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/error.hpp"
#include "common/core/matmul.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/channel_sums.hpp"  // bias_grad's per-channel sums
#include "common/nn/conv2d_direct.hpp"  // stride 1 without padding: no im2col
#include "common/nn/im2col.hpp"  // im2col, col2im_add, short_run

namespace attn {

int conv2d_out_size(int in, int k, int stride, int pad) {
    if (stride < 1 || pad < 0 || k < 1 || in + 2 * pad < k)
        fail("conv2d", "kernel " + std::to_string(k) + " with stride " + std::to_string(stride) + " and padding " +
                           std::to_string(pad) + " does not fit an input of size " + std::to_string(in),
             "the padded input must be at least as large as the kernel");
    return (in + 2 * pad - k) / stride + 1;
}

size_t conv2d_cols_size(int B, int C_in, int H, int Wd, int KH, int KW, int stride, int pad) {
    size_t OH = conv2d_out_size(H, KH, stride, pad), OW = conv2d_out_size(Wd, KW, stride, pad);
    return (size_t)B * C_in * KH * KW * OH * OW;
}

// Below this many multiply-adds per image the matmuls take their small-product loop, image by image.
static bool tiny(int C_out, int K, int P) { return (double)C_out * K * P < 4096; }

// The batch in groups of images, each group one matrix product. Image b's cols_b (K, P) is the column
// block [b·P, (b+1)·P) of the group's
//   cols_g (K, g·P),   and   out_g (C_out, g·P) = W · cols_g   holds out_b in the same columns.
// A group is as many images as fit kGroupFloats (512 KB, a quarter of this Xeon's L2): im2col writes
// it and the matmul packs it from the cache, not from memory (the whole batch's cols is up to 20 MB,
// written then read back), and its g·P columns fill the kernel's NR-column tiles (32 columns on
// AVX-512, 16 on AVX2) where one image would not (chapter 11's last stage has P = 7·7 = 49). Every
// output element is still the same dot product, summed in the same order (k = 0, 1, ... as in the
// product of one image; the matmul's blocking never reorders a sum): the numbers are those of the
// image-by-image products, for any thread count and any group size. Each thread takes whole images;
// its groups live in its own images' share of `cols`, and the (C_out, g·P) products in a scratch per
// thread (grown once), copied into (B, C_out, P) with the bias. (Chapter 09's step: 3 % faster than
// one product for the whole batch; chapter 11's: no faster, its 3×3 "same" planes were one copy
// each already.) An image of 128 columns or more fills the tiles alone: its group is that one image,
// whose product is written straight into out_b, without the copy (chapter 11's first stage, 784
// columns: its forward 1.77 → 1.14–1.22 ms a batch of 128 on one thread; its middle one, 196
// columns: 7.7 → 7.5 ms).
constexpr size_t kGroupFloats = 131072;
static int group_images(int K, int P) {
    return P >= 128 ? 1 : (int)std::max<size_t>(1, kGroupFloats / ((size_t)K * P));
}
static Buf& thread_scratch(size_t n) {
    thread_local Buf buf;
    if (buf.size() < n) buf.resize(n);
    return buf;
}

// Images [b0, b1) of x (B, C_out, P) side by side in the columns of dst, channels [o0, o1) of them
// (by default all) in rows 0, 1, ... of dst (o1 − o0, ld):
//   dst[o − o0, (b − b0)·P + p] = x[b, o, p]
static void by_channel(float* dst, size_t ld, const float* x, int b0, int b1, int C_out, int P, int o0 = 0,
                       int o1 = -1) {
    if (o1 < 0) o1 = C_out;
    for (int bi = b0; bi < b1; bi++)
        for (int o = o0; o < o1; o++) {
            const float* src = x + ((size_t)bi * C_out + o) * P;
            short_run<false>(dst + (size_t)(o - o0) * ld + (size_t)(bi - b0) * P, src, P);
        }
}
// One image: out_b (C_out, P) = W (C_out, K) · cols_b (K, P), + b[o] on row o when there is a bias.
static void image_product(float* out_b, const float* W, const float* cols_b, const float* b, int C_out, int K,
                          int P) {
    matmul_nn(out_b, W, cols_b, C_out, K, P);
    if (b)
        for (int o = 0; o < C_out; o++)
            for (int p = 0; p < P; p++) out_b[(size_t)o * P + p] += b[o];
}

// The direct path with padding (conv2d_direct.hpp) convolves zero-bordered copies of the images:
//   dst (B·C, H + 2·pad, Wd + 2·pad) = src (B·C, H, Wd) with `pad` zeros around each plane
// in `cols`, which holds at least as many floats (KH·KW·OH·OW ≥ (H + 2·pad)(Wd + 2·pad) when the
// kernel fits). Returns dst.
static float* padded_images(float* dst, const float* src, int planes, int H, int Wd, int pad) {
    const int Hp = H + 2 * pad, Wp = Wd + 2 * pad;
    parallel_for(planes, [&](int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            float* d = dst + (size_t)p * Hp * Wp;
            std::fill(d, d + (size_t)pad * Wp + pad, 0.0f);  // the top rows, and the left of the first
            for (int y = 0; y < H; y++) {
                float* row = d + (size_t)(y + pad) * Wp + pad;
                short_run<false>(row, src + ((size_t)p * H + y) * Wd, Wd);
                std::fill(row + Wd, row + Wd + 2 * pad, 0.0f);  // its right, the next row's left
            }
            std::fill(d + (size_t)(H + pad) * Wp + pad, d + (size_t)Hp * Wp, 0.0f);  // the bottom rows
        }
    }, 8);
    return dst;
}

void conv2d_forward(float* out, float* cols, const float* inp, const float* W, const float* b, int B, int C_in,
                    int H, int Wd, int C_out, int KH, int KW, int stride, int pad) {
    // inp is (B,C_in,H,Wd), W is (C_out, C_in·KH·KW), cols is (C_in·KH·KW, B·OH·OW), out is (B,C_out,OH,OW)
    const int OH = conv2d_out_size(H, KH, stride, pad), OW = conv2d_out_size(Wd, KW, stride, pad);
    const int K = C_in * KH * KW, P = OH * OW;
    if (tiny(C_out, K, P)) {  // image by image, on the calling thread
        for (int bi = 0; bi < B; bi++) {
            im2col(cols, inp + (size_t)bi * C_in * H * Wd, C_in, H, Wd, KH, KW, stride, pad, OH, OW, (size_t)P, 0, K);
            image_product(out + (size_t)bi * C_out * P, W, cols, b, C_out, K, P);
        }
        return;
    }
    if (conv2d_direct_forward_fits(C_in, C_out, OW, stride, pad)) {  // stride 1: cols read where they lie
        if (pad == 0) return conv2d_direct_forward(out, inp, W, b, B, C_in, H, Wd, C_out, KH, KW);
        const float* padded = padded_images(cols, inp, B * C_in, H, Wd, pad);
        return conv2d_direct_forward(out, padded, W, b, B, C_in, H + 2 * pad, Wd + 2 * pad, C_out, KH, KW);
    }
    const int G = group_images(K, P);
    parallel_for(B, [&](int b0, int b1) {
        float* cg = cols + (size_t)b0 * K * P;  // this thread's group cols (K, g·P): within its images' share
        float* og = G > 1 ? thread_scratch((size_t)C_out * G * P).data() : nullptr;
        for (int g0 = b0; g0 < b1; g0 += G) {
            const int g = std::min(G, b1 - g0);
            const size_t gP = (size_t)g * P;
            for (int bi = g0; bi < g0 + g; bi++)
                im2col(cg + (size_t)(bi - g0) * P, inp + (size_t)bi * C_in * H * Wd, C_in, H, Wd, KH, KW, stride,
                       pad, OH, OW, gP, 0, K);
            if (g == 1) {  // one image: its product is out_b itself, written in place
                image_product(out + (size_t)g0 * C_out * P, W, cg, b, C_out, K, P);
                continue;
            }
            matmul_nn(og, W, cg, C_out, K, (int)gP);  // og (C_out, g·P) = W (C_out, K) · cols_g (K, g·P)
            for (int bi = g0; bi < g0 + g; bi++)      // out[b,o,p] = og[o, (b − g0)·P + p] + bias[o]
                for (int o = 0; o < C_out; o++) {
                    const float* src = og + (size_t)o * gP + (size_t)(bi - g0) * P;
                    float* dst = out + ((size_t)bi * C_out + o) * P;
                    if (b)
                        for (int p = 0; p < P; p++) dst[p] = src[p] + b[o];
                    else
                        short_run<false>(dst, src, P);
                }
        }
    }, G);
}

// out_b += b[o]  ->  db[o] += Σ_b Σ_p dout[b,o,p]: each channel's sum in float, in the order b, then p,
// several channels side by side and the channels across the threads (channel_sums.hpp, as batch norm)
static void bias_grad(float* db, const float* dout, int B, int C_out, int P) {
    parallel_for(C_out, [&](int c0, int c1) {
        std::vector<float> s(c1 - c0, 0.0f);
        groups_by_image(c0, c1, B, [&](auto g, int c, int b) {
            channel_sums<decltype(g)::value>(&s[c - c0], dout + ((size_t)b * C_out + c) * P, P);
        });
        for (int c = c0; c < c1; c++) db[c] += s[c - c0];
    }, channels_chunk(B, P));
}

// out_b = W · cols_b  ->  dW (C_out, K) += Σ_b dout_b (C_out, P) · cols_bᵀ (P, K), image after image:
// every dW element sums image 0's P terms, then image 1's, ..., which is the one product
// dW += dout (C_out, B·P) · cols (K, B·P)ᵀ of the whole batch's matrices side by side (the kernels
// continue a sum from C, so it makes no difference where the k loop is cut). Image by image, dout_b is
// read where it lies and cols_b is built in a scratch that stays in the cache, instead of copying
// dout into (C_out, B·P) and building all of cols (for chapter 11's middle stage, 5.4 million floats,
// written to memory and read back), which took 1.4 times the forward's time. A batch of 128 on one
// thread, chapter 11's three stages: 3.1–3.4 → 2.5–2.6 ms, 11.0–11.3 → 8.3–8.5, 9.3–9.8 → 7.6.
// Threads cut dW as matmul_nt would (output_strips: the same tiles, the same bits); a thread with a
// strip of dW's columns builds only the rows of cols_b (the (c,i,j) of its columns) they need.
// Small images go a few at a time, side by side (a group of g, as in the forward): one product
//   dW += dout_g (C_out, g·P) · cols_g (K, g·P)ᵀ
// whose depth g·P is about kWeightGradDepth, each dW element still summing image after image in the
// same order, so the same bits. With the depth of one 7×7 image (49), every tile of dW went from
// memory to registers and back after 49 steps, and each product paid its calls and packing for
// little work: chapter 11's last stage (dout_g copied from dout, 5 images of 49 columns) on two
// threads 2.8–3.2 → 1.9–2.3 ms a batch of 128, on one 3.6–4.3 → 3.5–3.7; the whole plain-CNN step
// on two threads 0.96–0.98 of its time (paired rounds), on one unchanged. Images of 256 columns or
// more (the middle stage, 196: alone too) go one at a time, read in place.
constexpr int kWeightGradDepth = 256;
static void weight_grad(float* dW, const float* dout, const float* inp, int B, int C_in, int H, int Wd, int C_out,
                        int KH, int KW, int stride, int pad, int OH, int OW) {
    const int K = C_in * KH * KW, P = OH * OW;
    const OutputStrips s = output_strips(C_out, K, (double)C_out * K * P * B);
    const int G = std::max(1, kWeightGradDepth / P);  // images side by side in one product
    parallel_for(s.count, [&](int u0, int u1) {
        // this thread's block of dW: rows [i0, i1) x columns [r0, r1)
        const int i0 = s.by_rows ? u0 * s.width : 0, i1 = s.by_rows ? std::min(C_out, u1 * s.width) : C_out;
        const int r0 = s.by_rows ? 0 : u0 * s.width, r1 = s.by_rows ? K : std::min(K, u1 * s.width);
        const size_t depth = (size_t)G * P;
        float* rows = thread_scratch((size_t)(r1 - r0 + (G > 1 ? i1 - i0 : 0)) * depth).data();
        float* dg_buf = rows + (size_t)(r1 - r0) * depth;  // (i1 − i0, g·P): a group's dout rows side by side
        for (int g0 = 0; g0 < B; g0 += G) {
            const int g = std::min(G, B - g0);
            const size_t gP = (size_t)g * P;
            for (int bi = g0; bi < g0 + g; bi++)  // rows [r0, r1) of cols_g (K, g·P)
                im2col(rows + (size_t)(bi - g0) * P, inp + (size_t)bi * C_in * H * Wd, C_in, H, Wd, KH, KW, stride,
                       pad, OH, OW, gP, r0, r1);
            const float* dg = dout + ((size_t)g0 * C_out + i0) * P;  // rows [i0, i1) of dout_b (C_out, P)
            size_t ldg = P;
            if (g > 1) by_channel(dg_buf, gP, dout, g0, g0 + g, C_out, P, i0, i1), dg = dg_buf, ldg = gP;
            matmul_nt_serial(dW + (size_t)i0 * K + r0, K, dg, ldg, rows, gP, i1 - i0, (int)gP, r1 - r0, true);
        }
    }, s.min_chunk);
}

void conv2d_backward(float* dinp, float* dW, float* db, const float* dout, const float* inp, const float* W,
                     float* cols, int B, int C_in, int H, int Wd, int C_out, int KH, int KW, int stride, int pad) {
    // dout is (B,C_out,OH,OW); dinp (B,C_in,H,Wd), dW (C_out, C_in·KH·KW), db (C_out)
    const int OH = conv2d_out_size(H, KH, stride, pad), OW = conv2d_out_size(Wd, KW, stride, pad);
    const int K = C_in * KH * KW, P = OH * OW;
    if (db) bias_grad(db, dout, B, C_out, P);
    if (tiny(C_out, K, P)) {  // image by image, as the forward
        for (int bi = 0; bi < B; bi++) {
            const float* dout_b = dout + (size_t)bi * C_out * P;
            if (dW) {  // out_b = W · cols_b  ->  dW += dout_b · cols_bᵀ
                im2col(cols, inp + (size_t)bi * C_in * H * Wd, C_in, H, Wd, KH, KW, stride, pad, OH, OW, (size_t)P, 0, K);
                matmul_nt(dW, dout_b, cols, C_out, P, K, true);
            }
            if (dinp) {  // dcols_b = Wᵀ · dout_b, then col2im sends each entry back to its pixel
                matmul_tn(cols, W, dout_b, K, C_out, P);
                col2im_add(dinp + (size_t)bi * C_in * H * Wd, cols, C_in, H, Wd, KH, KW, stride, pad, OH, OW,
                           (size_t)P);
            }
        }
        return;
    }
    const bool direct = conv2d_direct_weight_grad_fits(C_in, C_out, stride, pad);  // as the forward: no im2col
    if (dW && (direct || conv2d_direct_weight_grad_taps_fits(C_in, KH, KW, stride))) {  // (or few taps: in lanes)
        const float* src = pad ? padded_images(cols, inp, B * C_in, H, Wd, pad) : inp;
        const int Hp = H + 2 * pad, Wp = Wd + 2 * pad;
        if (direct) conv2d_direct_weight_grad(dW, dout, src, B, C_in, Hp, Wp, C_out, KH, KW);
        else conv2d_direct_weight_grad_taps(dW, dout, src, B, C_in, Hp, Wp, C_out, KH, KW);
    } else if (dW) {
        weight_grad(dW, dout, inp, B, C_in, H, Wd, C_out, KH, KW, stride, pad, OH, OW);
    }
    if (dinp && conv2d_direct_input_grad_fits(C_in, stride, pad))
        return conv2d_direct_input_grad(dinp, dout, W, B, C_in, H, Wd, C_out, KH, KW);
    // out_g = W · cols_g  ->  dcols_g (K, g·P) = Wᵀ · dout_g, group by group as the forward (each thread
    // owns whole images, its groups in its share of cols), then col2im sends each entry back to its pixel
    if (dinp) {
        const int G = group_images(K, P);
        parallel_for(B, [&](int b0, int b1) {
            float* cg = cols + (size_t)b0 * K * P;
            float* dg_buf = thread_scratch((size_t)C_out * G * P).data();  // (weight_grad's rows are done with)
            for (int g0 = b0; g0 < b1; g0 += G) {
                const int g = std::min(G, b1 - g0);
                const size_t gP = (size_t)g * P;
                const float* dg = dout + (size_t)g0 * C_out * P;  // one image: dout_b is (C_out, P) already
                if (g > 1) by_channel(dg_buf, gP, dout, g0, g0 + g, C_out, P), dg = dg_buf;
                matmul_tn(cg, W, dg, K, C_out, (int)gP);
                for (int bi = g0; bi < g0 + g; bi++)
                    col2im_add(dinp + (size_t)bi * C_in * H * Wd, cg + (size_t)(bi - g0) * P, C_in, H, Wd, KH, KW,
                               stride, pad, OH, OW, gP);
            }
        }, G);
    }
}

void conv2d_forward_naive(float* out, const float* inp, const float* W, const float* b, int B, int C_in, int H,
                          int Wd, int C_out, int KH, int KW, int stride, int pad) {
    const int OH = conv2d_out_size(H, KH, stride, pad), OW = conv2d_out_size(Wd, KW, stride, pad);
    for (int bi = 0; bi < B; bi++)
        for (int o = 0; o < C_out; o++)
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    float acc = b ? b[o] : 0.0f;
                    for (int c = 0; c < C_in; c++)
                        for (int i = 0; i < KH; i++)
                            for (int j = 0; j < KW; j++) {
                                int iy = y * stride - pad + i, ix = x * stride - pad + j;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) continue;  // zero padding
                                acc += W[((size_t)(o * C_in + c) * KH + i) * KW + j] *
                                       inp[((size_t)(bi * C_in + c) * H + iy) * Wd + ix];
                            }
                    out[((size_t)(bi * C_out + o) * OH + y) * OW + x] = acc;
                }
}

}  // namespace attn
