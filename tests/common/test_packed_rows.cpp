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

using namespace attn;

namespace {
constexpr int kPad = 0;
struct Grads {
    float loss = 0;
    Buf dx, dW, db;
};
// logits = x Wᵀ + b over all `rows`, then the cross-entropy that skips <pad> rows; and back.
Grads full_rows(const Buf& x, const std::vector<int>& y, const Buf& W, const Buf& b, int rows, int K, int V) {
    Grads g;
    Buf logits((size_t)rows * V), probs((size_t)rows * V), dlogits((size_t)rows * V, 0.0f);
    g.dx.assign((size_t)rows * K, 0.0f), g.dW.assign((size_t)V * K, 0.0f), g.db.assign(V, 0.0f);
    linear_forward(logits.data(), x.data(), W.data(), b.data(), rows, K, V);
    g.loss = cross_entropy_forward(probs.data(), nullptr, logits.data(), y.data(), nullptr, rows, V, kPad, 0.0f);
    cross_entropy_backward(dlogits.data(), probs.data(), y.data(), nullptr, rows, V, kPad, 0.0f, 1.0f);
    linear_backward(g.dx.data(), g.dW.data(), g.db.data(), dlogits.data(), x.data(), W.data(), rows, K, V);
    return g;
}
// the same through pack_rows / unpack_rows_add, as the translation chapters (01-04, 07) compute it
Grads packed(const Buf& x, const std::vector<int>& y, const Buf& W, const Buf& b, int rows, int K, int V) {
    Grads g;
    PackedRows p;
    pack_rows(p, x.data(), y.data(), rows, K, kPad);
    const int R = p.R;
    Buf logits((size_t)R * V), probs((size_t)R * V), dlogits((size_t)R * V, 0.0f);
    g.dx.assign((size_t)rows * K, 0.0f), g.dW.assign((size_t)V * K, 0.0f), g.db.assign(V, 0.0f);
    linear_forward(logits.data(), p.x.data(), W.data(), b.data(), R, K, V);
    g.loss = cross_entropy_forward(probs.data(), nullptr, logits.data(), p.targets.data(), nullptr, R, V, kPad, 0.0f);
    cross_entropy_backward(dlogits.data(), probs.data(), p.targets.data(), nullptr, R, V, kPad, 0.0f, 1.0f);
    std::fill_n(p.dx.data(), (size_t)R * K, 0.0f);
    linear_backward(p.dx.data(), g.dW.data(), g.db.data(), dlogits.data(), p.x.data(), W.data(), R, K, V);
    unpack_rows_add(g.dx.data(), p, K);
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
            const Grads a = full_rows(x, y, W, b, rows, K, V), p = packed(x, y, W, b, rows, K, V);
            CHECK(a.loss == p.loss);
            CHECK(a.dW == p.dW);
            CHECK(a.db == p.db);
            CHECK(a.dx == p.dx);  // <pad> rows: 0 in both (== also takes the full product's −0 for 0)
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
