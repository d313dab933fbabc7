// Tests for common/nn/conv2d and common/nn/pool2d: hand cases, the naive twin, gradient checks,
// thread-count invariance and PyTorch reference values (tests/fixtures/conv_rnn.txt).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "common/nn/conv2d.hpp"
#include "common/nn/conv2d_direct.hpp"
#include "common/core/matmul.hpp"
#include "common/core/matmul_kernels.hpp"  // kernels::VL
#include "common/core/error.hpp"
#include "common/nn/pool2d.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/fixture.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;

TEST_CASE("conv2d: output size") {
    CHECK(conv2d_out_size(28, 3, 1, 1) == 28);
    CHECK(conv2d_out_size(7, 3, 2, 1) == 4);
    CHECK(conv2d_out_size(6, 3, 2, 1) == 3);
    CHECK(conv2d_out_size(5, 5, 1, 0) == 1);
    CHECK_THROWS_AS(conv2d_out_size(2, 5, 1, 1), Error);
    CHECK(conv2d_cols_size(2, 3, 5, 6, 3, 3, 2, 1) == (size_t)2 * 27 * 3 * 3);
}

TEST_CASE("conv2d: hand-computed 3x3 image, 2x2 kernel, with and without padding") {
    float inp[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float W[4] = {1, 0, 0, -1};  // out = x[y][x] − x[y+1][x+1]
    float b[1] = {10};
    float out[16], cols[64];
    conv2d_forward(out, cols, inp, W, b, 1, 1, 3, 3, 1, 2, 2, 1, 0);
    for (int i = 0; i < 4; i++) CHECK(out[i] == 10.0f - 4.0f);
    // padding 1, stride 2: 2x2 windows whose top-left corners are x[-1][-1], x[-1][1], x[1][-1], x[1][1]
    conv2d_forward(out, cols, inp, W, nullptr, 1, 1, 3, 3, 1, 2, 2, 2, 1);
    CHECK(out[0] == -1.0f);  // 0 − x[0][0]   (the corner is padding)
    CHECK(out[1] == -3.0f);  // 0 − x[0][2]
    CHECK(out[2] == -7.0f);  // 0 − x[2][0]
    CHECK(out[3] == -4.0f);  // x[1][1] − x[2][2]
}

TEST_CASE("conv2d: im2col + matmul equals the naive loop (non-square kernel, several strides/paddings)") {
    Rng rng(3);
    const int B = 3, C_in = 2, H = 7, Wd = 5, C_out = 4, KH = 3, KW = 2;
    for (int stride : {1, 2, 3})
        for (int pad : {0, 1, 2}) {
            CAPTURE(stride);
            CAPTURE(pad);
            int OH = conv2d_out_size(H, KH, stride, pad), OW = conv2d_out_size(Wd, KW, stride, pad);
            Buf inp = random_buf((size_t)B * C_in * H * Wd, rng), W = random_buf((size_t)C_out * C_in * KH * KW, rng);
            Buf b = random_buf(C_out, rng);
            Buf out((size_t)B * C_out * OH * OW), ref(out.size());
            Buf cols(conv2d_cols_size(B, C_in, H, Wd, KH, KW, stride, pad));
            conv2d_forward(out.data(), cols.data(), inp.data(), W.data(), b.data(), B, C_in, H, Wd, C_out, KH, KW,
                           stride, pad);
            conv2d_forward_naive(ref.data(), inp.data(), W.data(), b.data(), B, C_in, H, Wd, C_out, KH, KW, stride, pad);
            CHECK(max_abs_diff(out.data(), ref.data(), out.size()) < 1e-5);
        }
}

TEST_CASE("conv2d: stride 1 with the output as wide as the input (im2col's masked copy per plane) equals the naive loop") {
    // OW = Wd when 2·pad = KW − 1; the kernel's height may differ (then OH ≠ H, and rows fall outside
    // the image at the top and bottom), and images may be smaller than the kernel. The larger planes
    // (7×7, 9×17, 11×11, 28×28) take the vector path, and the lane-by-lane one at the edges of each
    // image's first and last plane, with planes of whole vectors and with a remainder.
    Rng rng(4);
    struct Case { int H, Wd, KH, KW, pad; };
    for (Case k : {Case{9, 8, 3, 3, 1}, Case{6, 7, 5, 3, 1}, Case{4, 5, 1, 3, 1}, Case{7, 6, 3, 5, 2},
                   Case{5, 4, 4, 1, 0}, Case{1, 1, 3, 3, 1}, Case{2, 3, 5, 5, 2}, Case{3, 2, 3, 5, 2},
                   Case{7, 7, 3, 3, 1}, Case{9, 17, 3, 3, 1}, Case{11, 11, 5, 5, 2}, Case{28, 28, 3, 3, 1}}) {
        CAPTURE(k.H);
        CAPTURE(k.KH);
        CAPTURE(k.KW);
        const int B = 2, C_in = 3, C_out = 2;
        const int OH = conv2d_out_size(k.H, k.KH, 1, k.pad), OW = conv2d_out_size(k.Wd, k.KW, 1, k.pad);
        REQUIRE(OW == k.Wd);
        Buf inp = random_buf((size_t)B * C_in * k.H * k.Wd, rng);
        Buf W = random_buf((size_t)C_out * C_in * k.KH * k.KW, rng);
        Buf out((size_t)B * C_out * OH * OW), ref(out.size());
        Buf cols(conv2d_cols_size(B, C_in, k.H, k.Wd, k.KH, k.KW, 1, k.pad), NAN);  // every entry must be written
        conv2d_forward(out.data(), cols.data(), inp.data(), W.data(), nullptr, B, C_in, k.H, k.Wd, C_out, k.KH, k.KW, 1,
                       k.pad);
        conv2d_forward_naive(ref.data(), inp.data(), W.data(), nullptr, B, C_in, k.H, k.Wd, C_out, k.KH, k.KW, 1,
                             k.pad);
        CHECK(max_abs_diff(out.data(), ref.data(), out.size()) < 1e-5);
    }
}

// dinp (B, C_in, H, Wd) += the input gradient of a stride-1 convolution, entry by entry: dcols_b =
// Wᵀ · dout_b, then every entry sent back to its pixel one at a time, in the order (c, i, j, y, x)
static void col2im_reference(float* dinp, const float* W, const float* dout, int B, int C_in, int H, int Wd,
                             int C_out, int KH, int KW, int pad) {
    const int OH = conv2d_out_size(H, KH, 1, pad), OW = conv2d_out_size(Wd, KW, 1, pad);
    const int Kc = C_in * KH * KW, P = OH * OW;
    const size_t in_b = (size_t)C_in * H * Wd;
    Buf dcols((size_t)Kc * P);
    for (int b = 0; b < B; b++) {
        matmul_tn(dcols.data(), W, dout + (size_t)b * C_out * P, Kc, C_out, P);
        for (int c = 0; c < C_in; c++)
            for (int i = 0; i < KH; i++)
                for (int j = 0; j < KW; j++)
                    for (int y = 0; y < OH; y++)
                        for (int x = 0; x < OW; x++) {
                            const int iy = y - pad + i, ix = x - pad + j;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) continue;
                            dinp[b * in_b + ((size_t)c * H + iy) * Wd + ix] +=
                                dcols[((size_t)(c * KH + i) * KW + j) * P + (size_t)y * OW + x];
                        }
    }
}

TEST_CASE("conv2d: stride 1 (read in place, no im2col): out, dW, dinp bit for bit, 1-3 threads, padded or not") {
    // conv2d_direct*.cpp compute out, dW and dinp with the chains of multiply-adds of the im2col
    // products: the reference builds cols_b (K, P) entry by entry (zeros where a tap falls in the
    // padding) and multiplies, out_b = W · cols_b + b and dW += dout_b · cols_bᵀ image after image, and
    // sends dcols_b = Wᵀ · dout_b back entry by entry (col2im_reference). Without padding: output
    // channels from 3 to 70 take blocks of 1 to 4 vectors (and two blocks), rows of 1 to 30 pixels
    // every tile width, 2 to 441 taps every tap tile; input channels 8 to 20 (one or two vectors) the
    // direct input gradient, with kernels of 1 to 49 taps (groups of 1 to 24, the last padded), fewer
    // input channels the im2col one. With padding (the images copied into zero-bordered ones): chapter
    // 11's middle and last stages (forward and weight gradient direct or not by the width of their
    // tiles and rows, the input gradient im2col's), rows of 24 to 30 pixels, padding 1 to 3, and too
    // few input channels for the direct path (im2col's throughout). (Below 4096 multiply-adds an image
    // the matmul's small-product loop stays, as before: the direct path is not taken.)
    Rng rng(16);
    struct Case { int B, C_in, H, Wd, C_out, KH, KW, pad = 0; };
    for (Case k : {Case{3, 1, 28, 28, 16, 5, 5}, Case{3, 16, 12, 12, 48, 5, 5}, Case{2, 8, 12, 12, 10, 5, 5},
                   Case{2, 1, 28, 28, 8, 5, 5}, Case{2, 2, 7, 34, 17, 3, 5}, Case{3, 3, 5, 6, 33, 2, 3},
                   Case{2, 2, 4, 17, 70, 1, 1}, Case{2, 4, 40, 5, 3, 5, 5}, Case{2, 3, 60, 3, 9, 1, 3},
                   Case{2, 20, 9, 10, 12, 3, 3}, Case{2, 9, 11, 11, 5, 7, 7}, Case{2, 12, 6, 7, 40, 1, 1},
                   Case{2, 8, 8, 9, 24, 2, 4}, Case{2, 24, 14, 14, 48, 3, 3, 1}, Case{2, 48, 7, 7, 96, 3, 3, 1},
                   Case{2, 8, 5, 30, 20, 3, 3, 1}, Case{3, 9, 6, 24, 5, 5, 5, 2}, Case{2, 16, 4, 26, 70, 3, 7, 3},
                   Case{2, 2, 9, 28, 24, 3, 3, 1}}) {
        CAPTURE(k.C_in);
        CAPTURE(k.Wd);
        CAPTURE(k.C_out);
        CAPTURE(k.pad);
        const int OH = conv2d_out_size(k.H, k.KH, 1, k.pad), OW = conv2d_out_size(k.Wd, k.KW, 1, k.pad);
        const int Kc = k.C_in * k.KH * k.KW, P = OH * OW;
        const size_t in_b = (size_t)k.C_in * k.H * k.Wd;
        REQUIRE((double)k.C_out * Kc * P >= 4096);
        Buf inp = random_buf(k.B * in_b, rng), W = random_buf((size_t)k.C_out * Kc, rng), b = random_buf(k.C_out, rng);
        Buf dout = random_buf((size_t)k.B * k.C_out * P, rng), dW0 = random_buf(W.size(), rng);
        Buf dinp0 = random_buf(inp.size(), rng), ref_dinp(dinp0);
        col2im_reference(ref_dinp.data(), W.data(), dout.data(), k.B, k.C_in, k.H, k.Wd, k.C_out, k.KH, k.KW, k.pad);
        Buf ref_out(dout.size()), ref_dW(dW0), cols_b((size_t)Kc * P);
        for (int bi = 0; bi < k.B; bi++) {
            for (int c = 0; c < k.C_in; c++)
                for (int i = 0; i < k.KH; i++)
                    for (int j = 0; j < k.KW; j++)
                        for (int y = 0; y < OH; y++)
                            for (int x = 0; x < OW; x++) {
                                const int iy = y - k.pad + i, ix = x - k.pad + j;
                                const bool in = iy >= 0 && iy < k.H && ix >= 0 && ix < k.Wd;
                                cols_b[((size_t)(c * k.KH + i) * k.KW + j) * P + (size_t)y * OW + x] =
                                    in ? inp[bi * in_b + ((size_t)c * k.H + iy) * k.Wd + ix] : 0.0f;
                            }
            float* out_b = ref_out.data() + (size_t)bi * k.C_out * P;
            matmul_nn(out_b, W.data(), cols_b.data(), k.C_out, Kc, P);
            for (int o = 0; o < k.C_out; o++)
                for (int q = 0; q < P; q++) out_b[(size_t)o * P + q] += b[o];
            matmul_nt(ref_dW.data(), dout.data() + (size_t)bi * k.C_out * P, cols_b.data(), k.C_out, P, Kc, true);
        }
        for (int threads : {1, 2, 3}) {
            CAPTURE(threads);
            set_threads(threads);
            Buf out(dout.size()), dW(dW0), dinp(dinp0);
            Buf cols(conv2d_cols_size(k.B, k.C_in, k.H, k.Wd, k.KH, k.KW, 1, k.pad));
            conv2d_forward(out.data(), cols.data(), inp.data(), W.data(), b.data(), k.B, k.C_in, k.H, k.Wd, k.C_out,
                           k.KH, k.KW, 1, k.pad);
            conv2d_backward(dinp.data(), dW.data(), nullptr, dout.data(), inp.data(), W.data(), cols.data(), k.B,
                            k.C_in, k.H, k.Wd, k.C_out, k.KH, k.KW, 1, k.pad);
            CHECK(std::memcmp(out.data(), ref_out.data(), out.size() * sizeof(float)) == 0);
            CHECK(std::memcmp(dW.data(), ref_dW.data(), dW.size() * sizeof(float)) == 0);
            CHECK(std::memcmp(dinp.data(), ref_dinp.data(), dinp.size() * sizeof(float)) == 0);
        }
        set_threads(0);
    }
}

TEST_CASE("conv2d: stride 1 with the output as wide as the input: dinp is the row-by-row col2im's, bit for bit") {
    // col2im's masked run per plane (col2im_same) adds VL lanes at a time and writes the lanes outside
    // the image back unchanged; the reference sends every entry of dcols_b = Wᵀ · dout_b back to its
    // pixel one at a time, in the order (c, i, j, y, x). Small cases take the image-by-image path, the
    // larger ones the grouped one, with planes of whole vectors (28×28 on AVX-512 and AVX2) and not.
    Rng rng(14);
    struct Case { int B, C_in, C_out, H, Wd, KH, KW, pad; };
    for (Case k : {Case{2, 3, 2, 9, 8, 3, 3, 1}, Case{2, 3, 2, 6, 7, 5, 3, 1}, Case{2, 3, 2, 4, 5, 1, 3, 1},
                   Case{2, 3, 2, 7, 6, 3, 5, 2}, Case{2, 3, 2, 1, 1, 3, 3, 1}, Case{2, 3, 2, 3, 2, 3, 5, 2},
                   Case{5, 4, 8, 14, 14, 3, 3, 1}, Case{6, 5, 9, 7, 7, 3, 3, 1}, Case{3, 2, 4, 28, 28, 3, 3, 1},
                   Case{4, 3, 5, 9, 17, 3, 3, 1}, Case{3, 2, 6, 11, 11, 5, 5, 2}}) {
        CAPTURE(k.H);
        CAPTURE(k.KH);
        CAPTURE(k.KW);
        const int OH = conv2d_out_size(k.H, k.KH, 1, k.pad), OW = conv2d_out_size(k.Wd, k.KW, 1, k.pad);
        REQUIRE(OW == k.Wd);
        const int Kc = k.C_in * k.KH * k.KW, P = OH * OW;
        const size_t in_b = (size_t)k.C_in * k.H * k.Wd;
        Buf inp = random_buf(k.B * in_b, rng), W = random_buf((size_t)k.C_out * Kc, rng);
        Buf dout = random_buf((size_t)k.B * k.C_out * P, rng), dinp = random_buf(inp.size(), rng), ref(dinp);
        Buf cols(conv2d_cols_size(k.B, k.C_in, k.H, k.Wd, k.KH, k.KW, 1, k.pad));
        conv2d_backward(dinp.data(), nullptr, nullptr, dout.data(), inp.data(), W.data(), cols.data(), k.B, k.C_in,
                        k.H, k.Wd, k.C_out, k.KH, k.KW, 1, k.pad);
        col2im_reference(ref.data(), W.data(), dout.data(), k.B, k.C_in, k.H, k.Wd, k.C_out, k.KH, k.KW, k.pad);
        CHECK(std::memcmp(dinp.data(), ref.data(), dinp.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("conv2d: stride 1, rows of every width (copied and added inline): forward and dinp bit for bit") {
    // Without "same" padding, im2col copies each row of OW floats and col2im adds it back, VL floats
    // at a time, then one vector of VL/2 and one of VL/4, then single floats: OW = 1 ... 41 takes every
    // mix on AVX-512, AVX2 and SSE. The forward is checked against the naive loop; dinp against the
    // entry-by-entry col2im (each pixel's terms added in the same order, so the same bits).
    Rng rng(15);
    for (int pad : {0, 1})
        for (int Wd = 5 - 2 * pad; Wd <= 45 - 2 * pad; Wd++) {
            CAPTURE(pad);
            CAPTURE(Wd);
            const int B = 2, C_in = 2, C_out = 3, H = 6, KH = 3, KW = 5;
            const int OH = conv2d_out_size(H, KH, 1, pad), OW = conv2d_out_size(Wd, KW, 1, pad);
            Buf inp = random_buf((size_t)B * C_in * H * Wd, rng), W = random_buf((size_t)C_out * C_in * KH * KW, rng);
            Buf out((size_t)B * C_out * OH * OW), ref(out.size());
            Buf cols(conv2d_cols_size(B, C_in, H, Wd, KH, KW, 1, pad), NAN);  // every entry must be written
            conv2d_forward(out.data(), cols.data(), inp.data(), W.data(), nullptr, B, C_in, H, Wd, C_out, KH, KW, 1,
                           pad);
            conv2d_forward_naive(ref.data(), inp.data(), W.data(), nullptr, B, C_in, H, Wd, C_out, KH, KW, 1, pad);
            CHECK(max_abs_diff(out.data(), ref.data(), out.size()) < 1e-5);
            Buf dout = random_buf(out.size(), rng), dinp = random_buf(inp.size(), rng), dref(dinp);
            conv2d_backward(dinp.data(), nullptr, nullptr, dout.data(), inp.data(), W.data(), cols.data(), B, C_in, H,
                            Wd, C_out, KH, KW, 1, pad);
            col2im_reference(dref.data(), W.data(), dout.data(), B, C_in, H, Wd, C_out, KH, KW, pad);
            CHECK(std::memcmp(dinp.data(), dref.data(), dinp.size() * sizeof(float)) == 0);
        }
}

TEST_CASE("conv2d: the input gradient is the forward's adjoint, for every stride and padding") {
    // without a bias the convolution is linear in its input, out = A·inp, and backward computes
    // dinp = Aᵀ·dout, so ⟨A·inp, dout⟩ = ⟨inp, Aᵀ·dout⟩ must hold for any inp and dout
    Rng rng(5);
    const int B = 2, C_in = 2, H = 6, Wd = 7, C_out = 3, KH = 3, KW = 4;
    for (int stride : {1, 2, 3})
        for (int pad : {0, 1, 2, 3}) {
            CAPTURE(stride);
            CAPTURE(pad);
            int OH = conv2d_out_size(H, KH, stride, pad), OW = conv2d_out_size(Wd, KW, stride, pad);
            Buf inp = random_buf((size_t)B * C_in * H * Wd, rng), W = random_buf((size_t)C_out * C_in * KH * KW, rng);
            Buf out((size_t)B * C_out * OH * OW), dout = random_buf(out.size(), rng), dinp(inp.size(), 0.0f);
            Buf cols(conv2d_cols_size(B, C_in, H, Wd, KH, KW, stride, pad));
            conv2d_forward(out.data(), cols.data(), inp.data(), W.data(), nullptr, B, C_in, H, Wd, C_out, KH, KW,
                           stride, pad);
            conv2d_backward(dinp.data(), nullptr, nullptr, dout.data(), inp.data(), W.data(), cols.data(), B, C_in, H,
                            Wd, C_out, KH, KW, stride, pad);
            double lhs = 0, rhs = 0;
            for (size_t i = 0; i < out.size(); i++) lhs += (double)out[i] * dout[i];
            for (size_t i = 0; i < inp.size(); i++) rhs += (double)inp[i] * dinp[i];
            CHECK(lhs == doctest::Approx(rhs).epsilon(1e-5));
        }
}

// Finite differences of dinp, dW and db through conv2d_forward / conv2d_backward: a 3×3 kernel with
// padding P (1 unless given) on a batch of 2 small images, loss = Σ out ⊙ R
static void conv2d_gradcheck(uint64_t seed, int S, const std::string& label, int P = 1, int C_in = 2, int H = 5,
                             int Wd = 6, int C_out = 3) {
    Rng rng(seed);
    const int B = 2, K = 3;
    const int OH = conv2d_out_size(H, K, S, P), OW = conv2d_out_size(Wd, K, S, P);
    Buf inp = random_buf((size_t)B * C_in * H * Wd, rng), W = random_buf((size_t)C_out * C_in * K * K, rng);
    Buf b = random_buf(C_out, rng), R = random_buf((size_t)B * C_out * OH * OW, rng);
    Buf out(R.size()), cols(conv2d_cols_size(B, C_in, H, Wd, K, K, S, P));
    auto loss = [&] {
        conv2d_forward(out.data(), cols.data(), inp.data(), W.data(), b.data(), B, C_in, H, Wd, C_out, K, K, S, P);
        return dot_double(out.data(), R.data(), out.size());
    };
    Buf dinp(inp.size(), 0.0f), dW(W.size(), 0.0f), db(b.size(), 0.0f);
    loss();
    conv2d_backward(dinp.data(), dW.data(), db.data(), R.data(), inp.data(), W.data(), cols.data(), B, C_in, H, Wd,
                    C_out, K, K, S, P);
    check_gradient(label + " dinp", loss, inp.data(), dinp.data(), inp.size());
    check_gradient(label + " dW", loss, W.data(), dW.data(), W.size());
    check_gradient(label + " db", loss, b.data(), db.data(), b.size());
}

TEST_CASE("conv2d: gradient check, stride 2, padding 1 (inp, W, b)") { conv2d_gradcheck(5, 2, "conv2d"); }

TEST_CASE("conv2d: gradient check, stride 1 without padding (the direct path: out, dW and dinp)") {
    // 8 input channels (the direct input gradient's least, VL/2, on AVX-512), and 5 · 72 · 20 = 7200
    // multiply-adds an image: not the matmul's small-product shapes
    REQUIRE(conv2d_out_size(6, 3, 1, 0) * conv2d_out_size(7, 3, 1, 0) * 5 * 8 * 9 >= 4096);
    conv2d_gradcheck(17, 1, "conv2d direct", /*P=*/0, /*C_in=*/8, /*H=*/6, /*Wd=*/7, /*C_out=*/5);
}

TEST_CASE("conv2d: gradient check, stride 1, padding 1, on zero-bordered copies (the direct path: out and dW)") {
    // 8 input channels (VL/2 on AVX-512) and rows of 24 pixels (a whole forward tile of one channel
    // vector on every vector width): the forward and the weight gradient take the direct path on the
    // padded copies, the input gradient im2col's
    REQUIRE(conv2d_direct_forward_fits(8, 5, conv2d_out_size(24, 3, 1, 1), 1, 1));
    REQUIRE(conv2d_direct_weight_grad_fits(8, 5, 1, 1));
    conv2d_gradcheck(18, 1, "conv2d padded direct", /*P=*/1, /*C_in=*/8, /*H=*/3, /*Wd=*/24, /*C_out=*/5);
}

TEST_CASE("conv2d: gradient check, one input channel, 3×3 (the weight gradient with the taps in the lanes)") {
    // K = 9 taps: dW takes conv2d_direct_weight_grad_taps (one vector of taps on AVX-512, two on AVX2);
    // rows of 18 pixels (a block of 16 and an overlapping one); 5 · 9 · 216 multiply-adds an image: not
    // the small-product shapes
    REQUIRE(conv2d_out_size(12, 3, 1, 1) * conv2d_out_size(18, 3, 1, 1) * 5 * 9 >= 4096);
    conv2d_gradcheck(19, 1, "conv2d taps", /*P=*/1, /*C_in=*/1, /*H=*/12, /*Wd=*/18, /*C_out=*/5);
}

TEST_CASE("conv2d: gradient check, stride 1, 'same' padding 1 (col2im's masked run per plane)") {
    REQUIRE(conv2d_out_size(6, 3, 1, 1) == 6);  // the output as wide as the input: col2im_same's path
    conv2d_gradcheck(6, 1, "conv2d same");
}

TEST_CASE("conv2d: forward and backward are bit-identical on 1, 2 and 3 threads") {
    Rng rng(9);
    // large enough images (C_in·K²·OH·OW > 16384 per image) that the batch is really split among threads
    const int B = 5, C_in = 4, H = 41, Wd = 40, C_out = 6, K = 3, S = 2, P = 1;
    const int OH = conv2d_out_size(H, K, S, P), OW = conv2d_out_size(Wd, K, S, P);
    Buf inp = random_buf((size_t)B * C_in * H * Wd, rng), W = random_buf((size_t)C_out * C_in * K * K, rng);
    Buf b = random_buf(C_out, rng), dout = random_buf((size_t)B * C_out * OH * OW, rng);
    Buf cols(conv2d_cols_size(B, C_in, H, Wd, K, K, S, P));
    std::vector<Buf> results;
    for (int threads : {1, 2, 3}) {
        set_threads(threads);
        Buf out(dout.size()), dinp(inp.size(), 0.0f), dW(W.size(), 0.0f), db(C_out, 0.0f);
        conv2d_forward(out.data(), cols.data(), inp.data(), W.data(), b.data(), B, C_in, H, Wd, C_out, K, K, S, P);
        conv2d_backward(dinp.data(), dW.data(), db.data(), dout.data(), inp.data(), W.data(), cols.data(), B, C_in, H,
                        Wd, C_out, K, K, S, P);
        Buf all(out);
        all.insert(all.end(), dinp.begin(), dinp.end());
        all.insert(all.end(), dW.begin(), dW.end());
        all.insert(all.end(), db.begin(), db.end());
        results.push_back(all);
    }
    set_threads(0);
    CHECK(std::memcmp(results[0].data(), results[1].data(), results[0].size() * sizeof(float)) == 0);
    CHECK(std::memcmp(results[0].data(), results[2].data(), results[0].size() * sizeof(float)) == 0);
}

TEST_CASE("conv2d: the bias gradient is each channel's serial sum, bit for bit, on 1 and 2 threads") {
    // conv2d_backward sums up to VL channels side by side (groups of 16, 8, 4 or 1: channel_sums.hpp),
    // the threads taking ranges of channels; each channel must still get the one chain
    // db[o] += (((0 + d_0) + d_1) + ...) over b, then p.
    for (int C_out : {3, 8, 13, 24}) {
        Rng rng(20 + C_out);
        const int B = 3, C_in = 2, H = 9, Wd = 7, K = 3, S = 1, P = 1;
        const int OH = conv2d_out_size(H, K, S, P), OW = conv2d_out_size(Wd, K, S, P), HW = OH * OW;
        Buf inp = random_buf((size_t)B * C_in * H * Wd, rng), W = random_buf((size_t)C_out * C_in * K * K, rng);
        Buf dout = random_buf((size_t)B * C_out * HW, rng), db0 = random_buf(C_out, rng), ref(db0);
        for (int o = 0; o < C_out; o++) {
            float sum = 0.0f;
            for (int b = 0; b < B; b++)
                for (int q = 0; q < HW; q++) sum += dout[((size_t)b * C_out + o) * HW + q];
            ref[o] += sum;
        }
        Buf cols(conv2d_cols_size(B, C_in, H, Wd, K, K, S, P));
        for (int threads : {1, 2}) {
            set_threads(threads);
            Buf db(db0);
            conv2d_backward(nullptr, nullptr, db.data(), dout.data(), inp.data(), W.data(), cols.data(), B, C_in, H,
                            Wd, C_out, K, K, S, P);
            CAPTURE(C_out);
            CAPTURE(threads);
            CHECK(std::memcmp(db.data(), ref.data(), C_out * sizeof(float)) == 0);
        }
        set_threads(0);
    }
}

// dW's one chain per element, written out: from dW0's value, + dout[b, o, y, x] · inp[b, c, y + i − pad,
// x + j − pad] for b, then the output pixels (y, x) in order, each step one fused multiply-add (std::fma),
// as every path of conv2d_backward computes it (a padding pixel is a zero term, as im2col's)
static Buf weight_grad_chain(const Buf& dW0, const Buf& dout, const Buf& inp, int B, int C_in, int H, int Wd,
                             int C_out, int k, int pad) {
    const int OH = conv2d_out_size(H, k, 1, pad), OW = conv2d_out_size(Wd, k, 1, pad), K = C_in * k * k;
    Buf dW(dW0);
    for (int o = 0; o < C_out; o++)
        for (int t = 0; t < K; t++) {
            const int c = t / (k * k), i = t / k % k, j = t % k;
            float acc = dW[(size_t)o * K + t];
            for (int b = 0; b < B; b++)
                for (int y = 0; y < OH; y++)
                    for (int x = 0; x < OW; x++) {
                        const int iy = y + i - pad, ix = x + j - pad;
                        const bool inside = iy >= 0 && iy < H && ix >= 0 && ix < Wd;
                        const float v = inside ? inp[(((size_t)b * C_in + c) * H + iy) * Wd + ix] : 0.0f;
                        acc = std::fma(dout[(((size_t)b * C_out + o) * OH + y) * OW + x], v, acc);
                    }
            dW[(size_t)o * K + t] = acc;
        }
    return dW;
}

TEST_CASE("conv2d: the weight gradient with the taps in the lanes gives the bits of the one chain") {
    // Few input channels, padding 1 (fewer than VL/2 channels: not the direct path): 1 channel 3×3
    // (K = 9: the taps in one vector on AVX-512, in two on AVX2), 2 channels 2×2 (K = 8: one vector on
    // both) and 2 channels 3×3 (K = 18: two vectors on AVX-512; on AVX2 the im2col product). dW already
    // holds values; rows of 20 pixels (a vector and an overlapping one) and of 7 (narrower than a
    // vector); 3, 13 and 24 channels (the groups of channels and the one left); 1, 2 and 3 threads.
    // Each dW element must be the one chain of fused multiply-adds, bit for bit.
    struct Case { int C_in, k; };
    for (Case cs : {Case{1, 3}, Case{2, 2}, Case{2, 3}})
        for (int W : {20, 7})
            for (int C_out : {3, 13, 24}) {
                CAPTURE(cs.C_in);
                CAPTURE(cs.k);
                CAPTURE(W);
                CAPTURE(C_out);
                REQUIRE(conv2d_direct_weight_grad_taps_fits(cs.C_in, cs.k, cs.k, 1) ==
                        (cs.C_in * cs.k * cs.k <= 2 * kernels::VL));
                Rng rng(40 + C_out + W + 7 * cs.C_in + cs.k);
                const int B = 3, H = 20, K = cs.C_in * cs.k * cs.k;
                const int OH = conv2d_out_size(H, cs.k, 1, 1), OW = conv2d_out_size(W, cs.k, 1, 1);
                Buf x = random_buf((size_t)B * cs.C_in * H * W, rng), Wt = random_buf((size_t)C_out * K, rng);
                Buf dout = random_buf((size_t)B * C_out * OH * OW, rng);
                Buf dW0 = random_buf((size_t)C_out * K, rng);
                const Buf want = weight_grad_chain(dW0, dout, x, B, cs.C_in, H, W, C_out, cs.k, 1);
                Buf cols(conv2d_cols_size(B, cs.C_in, H, W, cs.k, cs.k, 1, 1));
                for (int threads : {1, 2, 3}) {
                    CAPTURE(threads);
                    set_threads(threads);
                    Buf dW(dW0);
                    conv2d_backward(nullptr, dW.data(), nullptr, dout.data(), x.data(), Wt.data(),
                                    cols.data(), B, cs.C_in, H, W, C_out, cs.k, cs.k, 1, 1);
                    CHECK(std::memcmp(dW.data(), want.data(), dW.size() * sizeof(float)) == 0);
                }
                set_threads(0);
            }
}

static void conv2d_batch_equals_images(int B, int C_in, int H, int Wd, int C_out);
TEST_CASE("conv2d: the whole batch in one product gives the numbers of one product per image") {
    // conv2d_forward/backward multiply the batch's im2col columns side by side in one matmul; every
    // output and every dW element must still be the sum an image-by-image loop computes, bit for bit
    // (chapters 08, 09 and 11 kept their numbers through that change). Reference: the same layer
    // called on one image at a time (dW accumulates image after image, in order). The 7×7 images
    // take the weight gradient's groups (several images side by side in one product: groups of 5
    // and a last smaller one), with dW cut into strips of columns (C_out < K) and of rows (C_out > K),
    // shared between two threads.
    struct Case { int B, C_in, H, Wd, C_out; };
    for (Case k : {Case{4, 3, 13, 11, 5}, Case{41, 8, 7, 7, 5}, Case{92, 1, 7, 7, 20}})
        conv2d_batch_equals_images(k.B, k.C_in, k.H, k.Wd, k.C_out);
}
static void conv2d_batch_equals_images(int B, int C_in, int H, int Wd, int C_out) {
    CAPTURE(B);
    CAPTURE(C_in);
    CAPTURE(H);
    Rng rng(12);
    const int K = 3, S = 1, P = 1;
    const int OH = conv2d_out_size(H, K, S, P), OW = conv2d_out_size(Wd, K, S, P);
    const size_t in_b = (size_t)C_in * H * Wd, out_b = (size_t)C_out * OH * OW;
    Buf inp = random_buf(B * in_b, rng), W = random_buf((size_t)C_out * C_in * K * K, rng);
    Buf b = random_buf(C_out, rng), dout = random_buf(B * out_b, rng);
    for (int threads : {1, 2}) {
        set_threads(threads);
        Buf cols(conv2d_cols_size(B, C_in, H, Wd, K, K, S, P));
        Buf out(B * out_b), dinp(B * in_b, 0.0f), dW(W.size(), 0.0f);
        conv2d_forward(out.data(), cols.data(), inp.data(), W.data(), b.data(), B, C_in, H, Wd, C_out, K, K, S, P);
        conv2d_backward(dinp.data(), dW.data(), nullptr, dout.data(), inp.data(), W.data(), cols.data(), B, C_in, H,
                        Wd, C_out, K, K, S, P);
        Buf out1(B * out_b), dinp1(B * in_b, 0.0f), dW1(W.size(), 0.0f);
        for (int bi = 0; bi < B; bi++) {
            conv2d_forward(out1.data() + bi * out_b, cols.data(), inp.data() + bi * in_b, W.data(), b.data(), 1, C_in,
                           H, Wd, C_out, K, K, S, P);
            conv2d_backward(dinp1.data() + bi * in_b, dW1.data(), nullptr, dout.data() + bi * out_b,
                            inp.data() + bi * in_b, W.data(), cols.data(), 1, C_in, H, Wd, C_out, K, K, S, P);
        }
        CHECK(std::memcmp(out.data(), out1.data(), out.size() * sizeof(float)) == 0);
        CHECK(std::memcmp(dinp.data(), dinp1.data(), dinp.size() * sizeof(float)) == 0);
        CHECK(std::memcmp(dW.data(), dW1.data(), dW.size() * sizeof(float)) == 0);
    }
    set_threads(0);
}

TEST_CASE("conv2d: matches PyTorch nn.functional.conv2d (stride 2, padding 1), output and gradients") {
    Fixture fx = load_fixture("conv_rnn.txt");
    const auto& x = get(fx, "conv.x");
    const auto& Wt = get(fx, "conv.W");
    const int B = x.shape[0], C_in = x.shape[1], H = x.shape[2], Wd = x.shape[3];
    const int C_out = Wt.shape[0], KH = Wt.shape[2], KW = Wt.shape[3];
    Buf inp(x.v.begin(), x.v.end()), W(Wt.v.begin(), Wt.v.end());
    Buf b(get(fx, "conv.b").v.begin(), get(fx, "conv.b").v.end());
    const auto& ref = get(fx, "conv.out");
    Buf out(ref.v.size()), cols(conv2d_cols_size(B, C_in, H, Wd, KH, KW, 2, 1));
    conv2d_forward(out.data(), cols.data(), inp.data(), W.data(), b.data(), B, C_in, H, Wd, C_out, KH, KW, 2, 1);
    CHECK(max_abs_diff(out.data(), ref.v.data(), out.size()) < 1e-5);
    Buf dinp(inp.size(), 0.0f), dW(W.size(), 0.0f), db(C_out, 0.0f);
    conv2d_backward(dinp.data(), dW.data(), db.data(), get(fx, "conv.R").v.data(), inp.data(), W.data(), cols.data(),
                    B, C_in, H, Wd, C_out, KH, KW, 2, 1);
    CHECK(max_abs_diff(dinp.data(), get(fx, "conv.dx").v.data(), dinp.size()) < 1e-5);
    CHECK(max_abs_diff(dW.data(), get(fx, "conv.dW").v.data(), dW.size()) < 1e-5);
    CHECK(max_abs_diff(db.data(), get(fx, "conv.db").v.data(), db.size()) < 1e-5);
}

// ---- pooling ----------------------------------------------------------------------------------

TEST_CASE("maxpool2d / avgpool2d: hand-computed 4x4 image, 2x2 windows") {
    float inp[16] = {1, 5, 2, 0,   //
                     3, 4, 8, 8,   //
                     -1, -2, 0, 6, //
                     -3, -4, 7, 1};
    float out[4], avg[4];
    int arg[4];
    maxpool2d_forward(out, arg, inp, 1, 1, 4, 4, 2, 2);
    CHECK(out[0] == 5.0f);
    CHECK(arg[0] == 1);
    CHECK(out[1] == 8.0f);
    CHECK(arg[1] == 6);  // tie between (1,2) and (1,3): the first wins, as in PyTorch
    CHECK(out[2] == -1.0f);
    CHECK(arg[2] == 8);
    CHECK(out[3] == 7.0f);
    CHECK(arg[3] == 14);
    float dout[4] = {1, 2, 3, 4}, dinp[16] = {};
    maxpool2d_backward(dinp, dout, arg, 1, 1, 4, 4, 2, 2);
    CHECK(dinp[1] == 1.0f);
    CHECK(dinp[6] == 2.0f);
    CHECK(dinp[7] == 0.0f);
    CHECK(dinp[14] == 4.0f);
    avgpool2d_forward(avg, inp, 1, 1, 4, 4, 2, 2);
    CHECK(avg[0] == doctest::Approx(13.0 / 4));
    CHECK(avg[3] == doctest::Approx(14.0 / 4));
    CHECK(pool2d_out_size(7, 3, 2) == 3);
    CHECK_THROWS_AS(pool2d_out_size(2, 3, 1), Error);
}

TEST_CASE("maxpool2d: a NaN in a window wins and stays (a diverged input is not hidden), -inf windows work") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    float inp[8] = {1, nan, -inf, -inf,  //
                    9, 2, -inf, -inf};
    float out[2];
    int arg[2];
    maxpool2d_forward(out, arg, inp, 1, 1, 2, 4, 2, 2);
    CHECK(std::isnan(out[0]));
    CHECK(arg[0] == 1);  // the 9 after the NaN does not replace it
    CHECK(out[1] == -inf);
    CHECK(arg[1] == 2);  // all equal: the first element of the window
}

TEST_CASE("maxpool2d: the first maximum of each window wins, on data full of ties, for every window and stride") {
    // half the inputs are relu zeros and the rest come from 4 values: most windows hold ties
    Rng rng(11);
    const int B = 2, C = 3, H = 9, W = 10;
    Buf inp((size_t)B * C * H * W);
    for (float& v : inp) v = rng.uniform() < 0.5f ? 0.0f : 0.25f * (float)rng.below(4);
    for (int k : {1, 2, 3})
        for (int s : {1, 2, 3}) {
            CAPTURE(k);
            CAPTURE(s);
            const int OH = pool2d_out_size(H, k, s), OW = pool2d_out_size(W, k, s);
            Buf out((size_t)B * C * OH * OW);
            std::vector<int> arg(out.size());
            maxpool2d_forward(out.data(), arg.data(), inp.data(), B, C, H, W, k, s);
            for (int p = 0; p < B * C; p++)
                for (int y = 0; y < OH; y++)
                    for (int x = 0; x < OW; x++) {
                        int first = -1;  // scan the window in reading order; keep the first of the largest
                        for (int i = 0; i < k; i++)
                            for (int j = 0; j < k; j++) {
                                const int at = (y * s + i) * W + x * s + j;
                                if (first < 0 || inp[(size_t)p * H * W + at] > inp[(size_t)p * H * W + first]) first = at;
                            }
                        const size_t o = ((size_t)p * OH + y) * OW + x;
                        CHECK(arg[o] == first);
                        CHECK(out[o] == inp[(size_t)p * H * W + first]);
                    }
        }
}

TEST_CASE("maxpool2d 2x2: every row width (runs of 16, 8, 4, 1 and an overlapping last run) equals the window scan") {
    // the 2×2, stride-2 window has its own side-by-side code; it must give the general scan's answer
    // bit for bit, whatever the row width, with NaN (the last NaN of a window wins), −0, +0 and −∞
    Rng rng(12);
    const float vals[] = {0.0f, -0.0f, NAN, -INFINITY, 0.5f, 0.25f};
    for (int W = 2; W <= 41; W++) {
        CAPTURE(W);
        const int B = 1, C = 2, H = 5, OH = pool2d_out_size(H, 2, 2), OW = pool2d_out_size(W, 2, 2);
        Buf inp((size_t)B * C * H * W);
        for (float& v : inp) v = rng.uniform() < 0.6f ? vals[rng.below(6)] : rng.uniform() - 0.5f;
        Buf out((size_t)B * C * OH * OW);
        std::vector<int> arg(out.size());
        maxpool2d_forward(out.data(), arg.data(), inp.data(), B, C, H, W, 2, 2);
        for (int p = 0; p < B * C; p++)
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    const float* in = inp.data() + (size_t)p * H * W;
                    int best = 2 * y * W + 2 * x;  // the first element, then each later one wins when larger or NaN
                    for (int at : {best + 1, best + W, best + W + 1})
                        if (in[at] > in[best] || std::isnan(in[at])) best = at;
                    const size_t o = ((size_t)p * OH + y) * OW + x;
                    CHECK(arg[o] == best);
                    CHECK(std::memcmp(&out[o], &in[best], 4) == 0);
                }
    }
}

TEST_CASE("maxpool2d_backward without accumulate: the bits of += into zeros (tiling, overlapping, uncovered)") {
    // k=2 s=2 on an odd side leaves the last row and column in no window; k=3 s=2 windows overlap. The
    // sides are chapter 11's (28, 14, 7) and others, even and odd.
    Rng rng(14);
    const int B = 2, C = 3;
    for (auto [H, W, k] : {std::tuple{9, 7, 2}, {9, 7, 3}, {28, 28, 2}, {14, 14, 2}, {7, 7, 2}, {10, 34, 2},
                           {6, 19, 2}, {11, 10, 2}}) {
        CAPTURE(H);
        CAPTURE(W);
        CAPTURE(k);
        Buf inp((size_t)B * C * H * W);
        for (float& v : inp) v = rng.uniform() < 0.4f ? 0.0f : rng.uniform();
        const int OH = pool2d_out_size(H, k, 2), OW = pool2d_out_size(W, k, 2);
        Buf out((size_t)B * C * OH * OW), dout(out.size());
        std::vector<int> arg(out.size());
        for (size_t i = 0; i < dout.size(); i++) dout[i] = i % 5 == 0 ? -0.0f : rng.uniform() - 0.5f;
        maxpool2d_forward(out.data(), arg.data(), inp.data(), B, C, H, W, k, 2);
        Buf added(inp.size(), 0.0f), written(inp.size(), NAN);
        maxpool2d_backward(added.data(), dout.data(), arg.data(), B, C, H, W, k, 2);
        maxpool2d_backward(written.data(), dout.data(), arg.data(), B, C, H, W, k, 2, /*accumulate=*/false);
        CHECK(std::memcmp(added.data(), written.data(), added.size() * sizeof(float)) == 0);
    }
}

// distinct values at least 0.05 apart, so a ±ε perturbation never changes which input is the max
static Buf distinct_values(size_t n, Rng& rng) {
    Buf v(n);
    for (size_t i = 0; i < n; i++) v[i] = 0.05f * (float)i - 0.025f * (float)n;
    rng.shuffle(v.begin(), v.end());
    return v;
}

TEST_CASE("maxpool2d and avgpool2d: gradient checks, overlapping (k=3, s=2) and tiling (k=2, s=2) windows") {
    Rng rng(11);
    const int B = 2, C = 2, H = 7, W = 6;
    for (int k : {3, 2}) {  // (structured bindings cannot be captured by lambdas in clang 14)
        const int s = 2;
        CAPTURE(k);
        const int OH = pool2d_out_size(H, k, s), OW = pool2d_out_size(W, k, s);
        Buf inp = distinct_values((size_t)B * C * H * W, rng), R = random_buf((size_t)B * C * OH * OW, rng);
        Buf out(R.size());
        std::vector<int> arg(R.size());
        auto max_loss = [&] {
            maxpool2d_forward(out.data(), arg.data(), inp.data(), B, C, H, W, k, s);
            return dot_double(out.data(), R.data(), out.size());
        };
        Buf dinp(inp.size(), 0.0f);
        max_loss();
        maxpool2d_backward(dinp.data(), R.data(), arg.data(), B, C, H, W, k, s);
        check_gradient("maxpool2d dinp", max_loss, inp.data(), dinp.data(), inp.size());

        auto avg_loss = [&] {
            avgpool2d_forward(out.data(), inp.data(), B, C, H, W, k, s);
            return dot_double(out.data(), R.data(), out.size());
        };
        std::fill(dinp.begin(), dinp.end(), 0.0f);
        avgpool2d_backward(dinp.data(), R.data(), B, C, H, W, k, s);
        check_gradient("avgpool2d dinp", avg_loss, inp.data(), dinp.data(), inp.size());
    }
}

TEST_CASE("maxpool2d / avgpool2d: match PyTorch max_pool2d(2,2) and avg_pool2d(3,2)") {
    Fixture fx = load_fixture("conv_rnn.txt");
    const auto& x = get(fx, "pool.x");
    const int B = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const auto& mref = get(fx, "pool.max");
    const auto& aref = get(fx, "pool.avg");
    Buf mo(mref.v.size()), ao(aref.v.size()), dinp(x.v.size(), 0.0f);
    std::vector<int> arg(mo.size());
    maxpool2d_forward(mo.data(), arg.data(), x.v.data(), B, C, H, W, 2, 2);
    avgpool2d_forward(ao.data(), x.v.data(), B, C, H, W, 3, 2);
    CHECK(max_abs_diff(mo.data(), mref.v.data(), mo.size()) < 1e-6);
    CHECK(max_abs_diff(ao.data(), aref.v.data(), ao.size()) < 1e-6);
    maxpool2d_backward(dinp.data(), get(fx, "pool.Rmax").v.data(), arg.data(), B, C, H, W, 2, 2);
    avgpool2d_backward(dinp.data(), get(fx, "pool.Ravg").v.data(), B, C, H, W, 3, 2);
    CHECK(max_abs_diff(dinp.data(), get(fx, "pool.dx").v.data(), dinp.size()) < 1e-6);
}
