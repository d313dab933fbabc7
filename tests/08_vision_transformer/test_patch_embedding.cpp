// Chapter 08's patch embedding, class token and position embeddings: a hand-checkable patchify, the
// linear map of flattened patches equal to a stride-P convolution (common/nn/conv2d.hpp), and
// finite-difference gradient checks of every backward.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "chapters/08_vision_transformer/patch_embedding.hpp"
#include "common/nn/conv2d.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace ch08;
using attn::testing::check_gradient;
using attn::testing::dot_double;
using attn::testing::random_buf;

TEST_CASE("ch08 patchify: a 4x4 image in 2x2 patches, by hand; backward puts every gradient back in place") {
    // pixel (r, c) = 10 r + c
    Buf x(16);
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) x[r * 4 + c] = 10.0f * r + c;
    Buf xp(16);
    patchify_forward(xp.data(), x.data(), 1, 4, 2);
    const float want[16] = {0, 1, 10, 11,  2, 3, 12, 13,  20, 21, 30, 31,  22, 23, 32, 33};  // patches row-major
    for (int i = 0; i < 16; i++) CHECK(xp[i] == want[i]);
    Buf dx(16, 0.0f);
    patchify_backward(dx.data(), xp.data(), 1, 4, 2);  // the inverse permutation gives x back
    for (int i = 0; i < 16; i++) CHECK(dx[i] == x[i]);
}

TEST_CASE("ch08 patch embedding: a linear map of flattened patches equals a conv with kernel P and stride P") {
    Rng rng(1);
    const int B = 2, H = 28, P = 7, C = 5, G = H / P, N = G * G, D = P * P;
    Buf x = random_buf((size_t)B * H * H, rng, 0.0f, 1.0f), E = random_buf((size_t)C * D, rng),
        b = random_buf(C, rng);
    Buf xp((size_t)B * N * D), X((size_t)B * N * C);
    patchify_forward(xp.data(), x.data(), B, H, P);
    patch_embed_forward(X.data(), xp.data(), E.data(), b.data(), B, N, D, C);
    // The conv's weight (C,1,P,P) is E reshaped; its output (B,C,G,G) is X (B,N,C) transposed.
    Buf conv((size_t)B * C * N);
    conv2d_forward_naive(conv.data(), x.data(), E.data(), b.data(), B, 1, H, H, C, P, P, P, 0);
    double worst = 0;
    for (int bb = 0; bb < B; bb++)
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                worst = std::fmax(worst, std::fabs(X[((size_t)bb * N + n) * C + c] - conv[((size_t)bb * C + c) * N + n]));
    CHECK(worst < 1e-5);
}

TEST_CASE("ch08 overlapping patches: K x K windows at stride P equal a conv with kernel K, stride P, padding (K-P)/2") {
    Rng rng(4);
    const int B = 2, H = 28, P = 7, C = 3, G = H / P, N = G * G;
    for (int K : {9, 11, 13}) {
        const int D = K * K, a = (K - P) / 2;
        Buf x = random_buf((size_t)B * H * H, rng, 0.0f, 1.0f), E = random_buf((size_t)C * D, rng),
            b = random_buf(C, rng);
        Buf xp((size_t)B * N * D, NAN), X((size_t)B * N * C);
        patchify_forward(xp.data(), x.data(), B, H, P, K);
        patch_embed_forward(X.data(), xp.data(), E.data(), b.data(), B, N, D, C);
        Buf conv((size_t)B * C * N);
        conv2d_forward_naive(conv.data(), x.data(), E.data(), b.data(), B, 1, H, H, C, K, K, P, a);
        double worst = 0;
        for (int bb = 0; bb < B; bb++)
            for (int n = 0; n < N; n++)
                for (int c = 0; c < C; c++)
                    worst = std::fmax(worst, std::fabs(X[((size_t)bb * N + n) * C + c] -
                                                       conv[((size_t)bb * C + c) * N + n]));
        CHECK_MESSAGE(worst < 1e-5, "K = " << K);  // fmax drops a NaN: checked below
        size_t nan = 0;
        for (float v : xp) nan += std::isnan(v);
        CHECK(nan == 0);  // every window value written, the padding as zeros
    }
}

TEST_CASE("ch08 overlapping patches: backward is the adjoint of patchify (each pixel sums its windows)") {
    Rng rng(5);
    const int B = 2, H = 8, P = 4, K = 6, N = 4, D = K * K;
    Buf x = random_buf((size_t)B * H * H, rng), g = random_buf((size_t)B * N * D, rng);
    Buf xp((size_t)B * N * D), dx(x.size(), 0.0f);
    patchify_forward(xp.data(), x.data(), B, H, P, K);
    patchify_backward(dx.data(), g.data(), B, H, P, K);
    // <patchify(x), g> = <x, patchify_backward(g)> for every x, g: the backward of a linear map
    const double lhs = dot_double(xp.data(), g.data(), xp.size());
    const double rhs = dot_double(x.data(), dx.data(), x.size());
    CHECK(std::fabs(lhs - rhs) < 1e-4 * (1 + std::fabs(lhs)));
    // by hand (a = 1: patch (r,c) covers rows r*4-1 .. r*4+4 and the same columns): pixel (0,0) is in
    // patch 0's window only, at (1,1); pixel (3,3) is in all four windows of image 0
    CHECK(dx[0] == g[1 * K + 1]);
    const float want33 =
        g[(0 * D) + 4 * K + 4] + g[(1 * D) + 4 * K + 0] + g[(2 * D) + 0 * K + 4] + g[(3 * D) + 0];
    CHECK(dx[3 * H + 3] == doctest::Approx(want33));
}

TEST_CASE("ch08 patch embedding: backward (E, b, and the pixels through patchify) matches finite differences") {
    Rng rng(2);
    const int B = 2, H = 8, P = 4, C = 3, N = 4, D = 16;
    Buf x = random_buf((size_t)B * H * H, rng), E = random_buf((size_t)C * D, rng), b = random_buf(C, rng);
    Buf R = random_buf((size_t)B * N * C, rng);
    Buf xp((size_t)B * N * D), X((size_t)B * N * C);
    auto loss = [&]() {
        patchify_forward(xp.data(), x.data(), B, H, P);
        patch_embed_forward(X.data(), xp.data(), E.data(), b.data(), B, N, D, C);
        return dot_double(X.data(), R.data(), X.size());
    };
    loss();
    Buf dE(E.size(), 0.0f), db(C, 0.0f), dxp(xp.size(), 0.0f), dx(x.size(), 0.0f);
    patch_embed_backward(dxp.data(), dE.data(), db.data(), R.data(), xp.data(), E.data(), B, N, D, C);
    patchify_backward(dx.data(), dxp.data(), B, H, P);
    check_gradient("E", loss, E.data(), dE.data(), E.size());
    check_gradient("b_E", loss, b.data(), db.data(), b.size());
    check_gradient("pixels", loss, x.data(), dx.data(), x.size());
}

TEST_CASE("ch08 tokens: the class token first, then the patches, each plus its position; backward by finite differences") {
    Rng rng(3);
    const int B = 3, N = 4, C = 5, T = N + 1;
    Buf X = random_buf((size_t)B * N * C, rng), cls = random_buf(C, rng), pos = random_buf((size_t)T * C, rng);
    Buf z((size_t)B * T * C);
    tokens_forward(z.data(), X.data(), cls.data(), pos.data(), B, N, C);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            CHECK(z[((size_t)b * T) * C + c] == cls[c] + pos[c]);
            CHECK(z[((size_t)b * T + 2) * C + c] == X[((size_t)b * N + 1) * C + c] + pos[2 * C + c]);
        }
    Buf R = random_buf(z.size(), rng);
    auto loss = [&]() {
        tokens_forward(z.data(), X.data(), cls.data(), pos.data(), B, N, C);
        return dot_double(z.data(), R.data(), z.size());
    };
    Buf dX(X.size(), 0.0f), dcls(C, 0.0f), dpos(pos.size(), 0.0f);
    tokens_backward(dX.data(), dcls.data(), dpos.data(), R.data(), B, N, C);
    check_gradient("patches X", loss, X.data(), dX.data(), X.size());
    check_gradient("class token", loss, cls.data(), dcls.data(), cls.size());
    check_gradient("position embeddings", loss, pos.data(), dpos.data(), pos.size());
    // exactly, by hand: added into what the buffers held (0.5), the sums over b in order, and nothing
    // written past the ends (a guard of 7 after each buffer; dz has a huge value after its end)
    Buf gX(X.size() + 1, 0.5f), gcls(C + 1, 0.5f), gpos(pos.size() + 1, 0.5f), Rg = R;
    gX.back() = gcls.back() = gpos.back() = 7.0f;
    Rg.push_back(1e30f);
    tokens_backward(gX.data(), gcls.data(), gpos.data(), Rg.data(), B, N, C);
    size_t wrong = 0;
    for (int c = 0; c < C; c++) {
        float want = 0.5f;
        for (int b = 0; b < B; b++) want += R[(size_t)b * T * C + c];
        wrong += gcls[c] != want;
    }
    for (int t = 0; t < T; t++)
        for (int c = 0; c < C; c++) {
            float want = 0.5f;
            for (int b = 0; b < B; b++) want += R[((size_t)b * T + t) * C + c];
            wrong += gpos[(size_t)t * C + c] != want;
        }
    for (int b = 0; b < B; b++)
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                wrong += gX[((size_t)b * N + n) * C + c] != 0.5f + R[((size_t)b * T + n + 1) * C + c];
    CHECK(wrong == 0);
    CHECK(gX.back() == 7.0f);
    CHECK(gcls.back() == 7.0f);
    CHECK(gpos.back() == 7.0f);
}
