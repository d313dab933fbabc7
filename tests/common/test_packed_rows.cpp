// Tests for common/nn/packed_rows: the output layer and cross-entropy over the rows with a target
// give the numbers of the same layer over every row, bit for bit, on any thread count.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/packed_rows.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;

namespace {
constexpr int kPad = 0;
struct Grads {
    float loss = 0;
    Buf dx, dW, db;
};
// logits = x Wᵀ + b over all `rows`, then the cross-entropy that skips <pad> rows; and back.
Grads full_rows(const Buf& x, const std::vector<int>& y, const Buf& W, const Buf& b, int rows, int K, int V,
                float eps) {
    Grads g;
    Buf logits((size_t)rows * V), probs((size_t)rows * V), dlogits((size_t)rows * V, 0.0f);
    g.dx.assign((size_t)rows * K, 0.0f), g.dW.assign((size_t)V * K, 0.0f), g.db.assign(V, 0.0f);
    linear_forward(logits.data(), x.data(), W.data(), b.data(), rows, K, V);
    g.loss = cross_entropy_forward(probs.data(), nullptr, logits.data(), y.data(), nullptr, rows, V, kPad, eps);
    cross_entropy_backward(dlogits.data(), probs.data(), y.data(), nullptr, rows, V, kPad, eps, 1.0f);
    linear_backward(g.dx.data(), g.dW.data(), g.db.data(), dlogits.data(), x.data(), W.data(), rows, K, V);
    return g;
}
// the same through packed_output_forward / _backward, as the translation chapters (01-04, 07) compute it
Grads packed(const Buf& x, const std::vector<int>& y, const Buf& W, const Buf& b, int rows, int K, int V,
             float eps) {
    Grads g;
    PackedRows p;
    Buf logits((size_t)rows * V), probs((size_t)rows * V), dlogits((size_t)rows * V);
    g.dx.assign((size_t)rows * K, 0.0f), g.dW.assign((size_t)V * K, 0.0f), g.db.assign(V, 0.0f);
    g.loss = packed_output_forward(p, logits.data(), probs.data(), x.data(), y.data(), W.data(), b.data(), rows, K, V,
                                   kPad, eps);
    packed_output_backward(g.dx.data(), g.dW.data(), g.db.data(), p, dlogits.data(), probs.data(), W.data(), K, V,
                           eps);
    return g;
}
}  // namespace

TEST_CASE("packed rows: the output layer over the rows with a target equals the layer over all rows, bit for bit") {
    for (int threads : {1, 2, 3})
        for (const std::array<int, 3>& shape : std::vector<std::array<int, 3>>{{7, 5, 11}, {96, 64, 300}, {250, 48, 517}}) {
            const int rows = shape[0], K = shape[1], V = shape[2];
            CAPTURE(threads);
            CAPTURE(rows);
            set_threads(threads);
            Rng rng(11 + rows);
            Buf x((size_t)rows * K), W((size_t)V * K), b(V);
            for (auto* t : {&x, &W, &b})
                for (float& v : *t) v = rng.uniform(-1.0f, 1.0f);
            std::vector<int> y(rows);
            for (int i = 0; i < rows; i++) y[i] = rng.below(3) == 0 ? kPad : 1 + (int)rng.below(V - 1);  // a third <pad>
            y[0] = 1 + (int)rng.below(V - 1);  // at least one row that counts
            for (float eps : {0.0f, 0.1f}) {  // without and with label smoothing (chapter 07 trains with 0.1)
                CAPTURE(eps);
                const Grads a = full_rows(x, y, W, b, rows, K, V, eps), p = packed(x, y, W, b, rows, K, V, eps);
                CHECK(a.loss == p.loss);
                CHECK(a.dW == p.dW);
                CHECK(a.db == p.db);
                CHECK(a.dx == p.dx);  // <pad> rows: 0 in both (== also takes the full product's −0 for 0)
            }
            PackedRows pr;
            pack_rows(pr, x.data(), y.data(), rows, K, kPad);
            int counted = 0;
            for (int v : y) counted += v != kPad;
            CHECK(pr.R == counted);
        }
    set_threads(0);
}

TEST_CASE("packed rows: only <pad> rows leave nothing to compute, and nothing is sent back") {
    PackedRows p;
    Buf x(12, 1.0f), dx(12, 0.0f);
    std::vector<int> y = {kPad, kPad, kPad};
    pack_rows(p, x.data(), y.data(), 3, 4, kPad);
    CHECK(p.R == 0);
    unpack_rows_add(dx.data(), p, 4);
    for (float v : dx) CHECK(v == 0.0f);
}

TEST_CASE("packed rows: gradient check of packed_output_backward (x, W, b; label smoothing 0.1)") {
    const int rows = 9, K = 6, V = 7;
    const float eps = 0.1f;
    Rng rng(4);
    Buf x = testing::random_buf((size_t)rows * K, rng), W = testing::random_buf((size_t)V * K, rng),
        b = testing::random_buf(V, rng);
    const std::vector<int> y = {3, kPad, 1, 6, kPad, kPad, 2, 5, 4};
    PackedRows p;
    Buf logits((size_t)rows * V), probs((size_t)rows * V), dlogits((size_t)rows * V);
    auto loss = [&] {
        return (double)packed_output_forward(p, logits.data(), probs.data(), x.data(), y.data(), W.data(), b.data(),
                                             rows, K, V, kPad, eps);
    };
    loss();
    Buf dx((size_t)rows * K, 0.0f), dW((size_t)V * K, 0.0f), db(V, 0.0f);
    packed_output_backward(dx.data(), dW.data(), db.data(), p, dlogits.data(), probs.data(), W.data(), K, V, eps);
    for (int r : {1, 4, 5})  // <pad> rows: no gradient
        for (int k = 0; k < K; k++) CHECK(dx[(size_t)r * K + k] == 0.0f);
    testing::check_gradient("x", loss, x.data(), dx.data(), x.size());
    testing::check_gradient("W", loss, W.data(), dW.data(), W.size());
    testing::check_gradient("b", loss, b.data(), db.data(), b.size());
}
