// Tests for common/nn/cross_entropy: hand-computed losses, PyTorch fixtures (ignore_index +
// label smoothing, with and without per-row weights), gradient checks, bad targets.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "common/nn/cross_entropy.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/fixture.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;

TEST_CASE("cross-entropy: hand-computed losses") {
    // logits [0, ln 2] → p = [1/3, 2/3]; target 1 → loss ln(3/2); target 0 → ln 3
    float logits[4] = {0.0f, std::log(2.0f), 0.0f, std::log(2.0f)}, probs[4], losses[2];
    int targets[2] = {1, 0};
    float L = cross_entropy_forward(probs, losses, logits, targets, nullptr, 2, 2, -1, 0.0f);
    CHECK(losses[0] == doctest::Approx(std::log(1.5)));
    CHECK(losses[1] == doctest::Approx(std::log(3.0)));
    CHECK(L == doctest::Approx(0.5 * (std::log(1.5) + std::log(3.0))));
    CHECK(probs[1] == doctest::Approx(2.0 / 3.0));

    // weights 3 and 1: (3 ln 1.5 + ln 3) / 4
    float w[2] = {3.0f, 1.0f};
    L = cross_entropy_forward(probs, nullptr, logits, targets, w, 2, 2, -1, 0.0f);
    CHECK(L == doctest::Approx((3 * std::log(1.5) + std::log(3.0)) / 4));

    // ignore_index 0 drops row 1 entirely (not in the mean's denominator either)
    L = cross_entropy_forward(probs, losses, logits, targets, nullptr, 2, 2, 0, 0.0f);
    CHECK(L == doctest::Approx(std::log(1.5)));
    CHECK(losses[1] == 0.0f);

    // label smoothing ε = 0.2, V = 2: q = [0.1, 0.9] for target 1 → −0.1 ln(1/3) − 0.9 ln(2/3)
    L = cross_entropy_forward(probs, losses, logits, targets, nullptr, 1, 2, -1, 0.2f);
    CHECK(L == doctest::Approx(-0.1 * std::log(1.0 / 3.0) - 0.9 * std::log(2.0 / 3.0)));

    // every row ignored: 0, and the backward adds nothing
    int pads[2] = {0, 0};
    L = cross_entropy_forward(probs, losses, logits, pads, nullptr, 2, 2, 0, 0.1f);
    CHECK(L == 0.0f);
    float d[4] = {0, 0, 0, 0};
    cross_entropy_backward(d, probs, pads, nullptr, 2, 2, 0, 0.1f, 1.0f);
    for (float v : d) CHECK(v == 0.0f);
}

TEST_CASE("cross-entropy: a very wrong confident prediction gives a finite loss") {
    // p_target = e^-200 underflows to 0 in float; the loss must still be 200, not inf
    float logits[2] = {200.0f, 0.0f}, probs[2];
    int t = 1;
    float L = cross_entropy_forward(probs, nullptr, logits, &t, nullptr, 1, 2, -1, 0.0f);
    CHECK(L == doctest::Approx(200.0));
}

TEST_CASE("cross-entropy: a target outside [0, V) is an error naming the row") {
    float logits[6] = {0}, probs[6];
    int targets[2] = {1, 3};
    try {
        cross_entropy_forward(probs, nullptr, logits, targets, nullptr, 2, 3, -1, 0.0f);
        FAIL("expected an attn::Error");
    } catch (const attn::Error& e) {
        std::string msg = e.what();
        CHECK(msg.find("target[1]") != std::string::npos);
        CHECK(msg.find("found 3") != std::string::npos);
    }
    int neg[2] = {-1, 0};  // ignore_index -1 means "none": -1 is then a bad target too
    CHECK_THROWS_AS(cross_entropy_forward(probs, nullptr, logits, neg, nullptr, 2, 3, -1, 0.0f), attn::Error);
    int ok[2] = {0, 1};
    CHECK_THROWS_AS(cross_entropy_forward(probs, nullptr, logits, ok, nullptr, 2, 3, -1, 1.5f), attn::Error);
}

TEST_CASE("cross-entropy: matches PyTorch (ignore_index=0, label_smoothing=0.1, with and without weights)") {
    auto fx = load_fixture("norm_loss.txt");
    const auto& lg = get(fx, "ce_logits");
    const int rows = lg.shape[0], V = lg.shape[1];
    std::vector<int> targets;
    for (float t : get(fx, "ce_targets").v) targets.push_back((int)t);
    Buf probs(rows * V), losses(rows), d(rows * V, 0.0f);

    float L = cross_entropy_forward(probs.data(), losses.data(), lg.v.data(), targets.data(), nullptr, rows, V, 0,
                                    0.1f);
    CHECK(std::fabs(L - get(fx, "ce_loss").v[0]) < 1e-5);
    CHECK(max_abs_diff(losses.data(), get(fx, "ce_row_losses").v.data(), rows) < 1e-5);
    cross_entropy_backward(d.data(), probs.data(), targets.data(), nullptr, rows, V, 0, 0.1f, 1.0f);
    CHECK(max_abs_diff(d.data(), get(fx, "ce_dlogits").v.data(), rows * V) < 1e-5);

    const float* w = get(fx, "ce_weights").v.data();
    L = cross_entropy_forward(probs.data(), nullptr, lg.v.data(), targets.data(), w, rows, V, 0, 0.1f);
    CHECK(std::fabs(L - get(fx, "ce_wloss").v[0]) < 1e-5);
    Buf dw(rows * V, 0.0f);
    cross_entropy_backward(dw.data(), probs.data(), targets.data(), w, rows, V, 0, 0.1f, 1.0f);
    CHECK(max_abs_diff(dw.data(), get(fx, "ce_wdlogits").v.data(), rows * V) < 1e-5);
}

TEST_CASE("cross-entropy: gradient check with ignore_index, label smoothing, weights and dloss") {
    const int rows = 6, V = 5;
    const float dloss = 1.7f;  // the upstream scalar scales the gradient
    Rng rng(21);
    Buf x = random_buf(rows * V, rng, -2, 2), w = random_buf(rows, rng, 0.2f, 2.0f);
    int targets[rows] = {2, 4, 4, 0, 4, 1};  // ignore_index 4: rows 1, 2, 4 are padding
    for (bool weighted : {false, true})
        for (float eps : {0.0f, 0.1f}) {
            CAPTURE(weighted);
            CAPTURE(eps);
            const float* wp = weighted ? w.data() : nullptr;
            Buf probs(rows * V), dx(rows * V, 0.0f);
            cross_entropy_forward(probs.data(), nullptr, x.data(), targets, wp, rows, V, 4, eps);
            cross_entropy_backward(dx.data(), probs.data(), targets, wp, rows, V, 4, eps, dloss);
            for (int j = 0; j < V; j++) CHECK(dx[1 * V + j] == 0.0f);  // ignored row: no gradient
            check_gradient("cross_entropy", [&] {
                Buf p(rows * V);
                return (double)dloss * cross_entropy_forward(p.data(), nullptr, x.data(), targets, wp, rows, V, 4, eps);
            }, x.data(), dx.data(), x.size(), {.eps = 1e-2, .atol = 1e-3, .rtol = 1e-2});
        }
}

TEST_CASE("cross-entropy: same loss and gradient on 1 and 3 threads, and backward accumulates") {
    const int rows = 64, V = 1000;
    Rng rng(22);
    Buf x = random_buf(rows * V, rng, -4, 4);
    std::vector<int> targets(rows);
    for (auto& t : targets) t = (int)rng.below(V);
    auto run = [&](int threads, float& L) {
        set_threads(threads);
        Buf probs(rows * V), d(rows * V, 0.25f);
        L = cross_entropy_forward(probs.data(), nullptr, x.data(), targets.data(), nullptr, rows, V, 0, 0.1f);
        cross_entropy_backward(d.data(), probs.data(), targets.data(), nullptr, rows, V, 0, 0.1f, 1.0f);
        return d;
    };
    float L1, L3;
    Buf d1 = run(1, L1), d3 = run(3, L3);
    set_threads(0);
    CHECK(L1 == L3);
    CHECK(d1 == d3);
    // d started at 0.25 everywhere; each counted row's gradient sums to 0 (Σ_j p_j − q_j = 0)
    double s = 0;
    for (int j = 0; j < V; j++) s += d1[j];
    CHECK(s == doctest::Approx(0.25 * V));
    CHECK(d1[targets[0]] < 0.25f);  // the target's logit is pushed up
}

TEST_CASE("cross-entropy: rows four at a time give each row's probabilities and loss alone, bit for bit") {
    // cross_entropy.cpp sums four rows side by side (each in its own order) where a thread has four
    // left, then one by one: every row's probabilities and loss, on 1 and 3 threads, against the row in
    // a call of its own; rows counts 1–11, padding rows (ignore_index) among them, label smoothing.
    Rng rng(23);
    for (int V : {5, 37, 4244})
        for (int rows = 1; rows <= 11; rows++) {
            CAPTURE(V);
            CAPTURE(rows);
            Buf x = random_buf((size_t)rows * V, rng, -8, 8);
            std::vector<int> t(rows);
            for (int r = 0; r < rows; r++) t[r] = r % 4 == 2 ? 0 : 1 + (int)rng.below(V - 1);  // 0: padding
            for (int threads : {1, 3}) {
                set_threads(threads);
                Buf probs(x.size()), loss(rows);
                cross_entropy_forward(probs.data(), loss.data(), x.data(), t.data(), nullptr, rows, V, 0, 0.1f);
                for (int r = 0; r < rows; r++) {
                    const size_t at = (size_t)r * V;
                    Buf p1(V), l1(1);
                    cross_entropy_forward(p1.data(), l1.data(), x.data() + at, &t[r], nullptr, 1, V, 0, 0.1f);
                    CHECK(std::memcmp(probs.data() + at, p1.data(), V * sizeof(float)) == 0);
                    CHECK(std::memcmp(&loss[r], &l1[0], sizeof(float)) == 0);
                }
            }
        }
    set_threads(0);
}

TEST_CASE("cross_entropy_backward without accumulate: the bits of += into zeros, over whatever dlogits held") {
    // rows 0..5 with targets, row 2 ignored (target 0 = ignore_index), sample weights; and a batch where
    // no row counts (every target ignored: L = 0, the gradient is zero everywhere)
    const int rows = 6, V = 37;
    Rng rng(31);
    Buf x = random_buf(rows * V, rng, -4, 4), probs(rows * V);
    std::vector<int> targets = {3, 5, 0, 36, 1, 7}, ignored(rows, 0);
    const float w[rows] = {1.0f, 0.5f, 2.0f, 1.5f, 0.25f, 1.0f};
    for (const int* t : {targets.data(), ignored.data()})
        for (const float* wp : {(const float*)nullptr, w})
            for (int threads : {1, 3}) {
                set_threads(threads);
                cross_entropy_forward(probs.data(), nullptr, x.data(), t, wp, rows, V, 0, 0.1f);
                Buf added(rows * V, 0.0f), written = random_buf(rows * V, rng, -1, 1);  // stale values to overwrite
                cross_entropy_backward(added.data(), probs.data(), t, wp, rows, V, 0, 0.1f, 0.7f);
                cross_entropy_backward(written.data(), probs.data(), t, wp, rows, V, 0, 0.1f, 0.7f, false);
                CHECK(std::memcmp(added.data(), written.data(), sizeof(float) * rows * V) == 0);
                if (t == ignored.data())
                    for (float v : written) CHECK(v == 0.0f);
            }
    set_threads(0);
}
