// Chapter 04's alignment building blocks, alone (no model): local-m and local-p windows by hand,
// padding, finite-difference checks of every backward, the REINFORCE estimator's expectation against
// the exact gradient of E[r], the entropy bonus, the baseline, and the sampler's frequencies.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "chapters/04_local_hard_soft_attention/hard_attention.hpp"
#include "chapters/04_local_hard_soft_attention/local_attention.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace ch04;

// ---- local-m: forward by hand ------------------------------------------------------------------
TEST_CASE("ch04 local-m: window at t = 0, clamped beyond the length, D = 0 is one-hot") {
    const int S = 6;
    float e[2 * S] = {1, 2, 3, 4, 9, 9,  // row 0: len 4, positions 4, 5 are padding
                      0, 1, 0, 2, 0, 1};  // row 1: len 6
    int len[2] = {4, 6};
    float alpha[2 * S];

    SUBCASE("t = 0, D = 1: window [0, 1]") {
        local_m_align_forward(alpha, e, len, 0, 1, 2, S);
        const double z = std::exp(1.0) + std::exp(2.0);
        CHECK(alpha[0] == doctest::Approx(std::exp(1.0) / z));
        CHECK(alpha[1] == doctest::Approx(std::exp(2.0) / z));
        for (int s = 2; s < S; s++) CHECK(alpha[s] == 0.0f);
        const double z1 = std::exp(0.0) + std::exp(1.0);  // row 1: window [0, 1] too
        CHECK(alpha[S + 0] == doctest::Approx(1.0 / z1));
        CHECK(alpha[S + 1] == doctest::Approx(std::exp(1.0) / z1));
        for (int s = 2; s < S; s++) CHECK(alpha[S + s] == 0.0f);
    }
    SUBCASE("t = 10 beyond both lengths, D = 1: p = len − 1, window [len − 2, len − 1]") {
        local_m_align_forward(alpha, e, len, 10, 1, 2, S);
        const double z = std::exp(3.0) + std::exp(4.0);
        CHECK(alpha[2] == doctest::Approx(std::exp(3.0) / z));
        CHECK(alpha[3] == doctest::Approx(std::exp(4.0) / z));
        CHECK(alpha[0] == 0.0f);
        CHECK(alpha[1] == 0.0f);
        CHECK(alpha[4] == 0.0f);  // padding, though its score (9) is the largest
        CHECK(alpha[5] == 0.0f);
        const double z1 = std::exp(0.0) + std::exp(1.0);
        CHECK(alpha[S + 4] == doctest::Approx(1.0 / z1));
        CHECK(alpha[S + 5] == doctest::Approx(std::exp(1.0) / z1));
    }
    SUBCASE("t = 2, D = 0: one-hot at t") {
        local_m_align_forward(alpha, e, len, 2, 0, 2, S);
        for (int b = 0; b < 2; b++)
            for (int s = 0; s < S; s++) CHECK(alpha[b * S + s] == (s == 2 ? 1.0f : 0.0f));
    }
    SUBCASE("window_softmax_row alone: scores outside the window never count, nothing written past S") {
        // e (S = 4) and one float past it; huge scores just before and just past the windows
        const float big[5] = {INFINITY, 1, 2, 1e4f, 1e30f};
        float out[5];
        std::fill(out, out + 4, NAN);  // the row must be assigned, not added into
        out[4] = 7.0f;                 // a guard just past the row
        window_softmax_row(out, big, 1, 3, 4);  // window [1, 3)
        const double z = std::exp(1.0) + std::exp(2.0);
        CHECK(out[0] == 0.0f);
        CHECK(out[1] == doctest::Approx(std::exp(1.0) / z));
        CHECK(out[2] == doctest::Approx(std::exp(2.0) / z));
        CHECK(out[3] == 0.0f);
        window_softmax_row(out, big, 3, 4, 4);  // a one-position window at the row's end: 1 there
        for (int s = 0; s < 4; s++) CHECK(out[s] == (s == 3 ? 1.0f : 0.0f));
        std::fill(out, out + 4, NAN);
        window_softmax_row(out, big, 2, 2, 4);  // empty windows: zeros
        for (int s = 0; s < 4; s++) CHECK(out[s] == 0.0f);
        std::fill(out, out + 4, NAN);
        window_softmax_row(out, big, 3, 1, 4);
        for (int s = 0; s < 4; s++) CHECK(out[s] == 0.0f);
        CHECK(out[4] == 7.0f);
    }
    SUBCASE("a length beyond S, or below 0, is refused") {
        int bad[2] = {4, S + 1};
        CHECK_THROWS_WITH_AS(local_m_align_forward(alpha, e, bad, 0, 1, 2, S), doctest::Contains("len[b]"), attn::Error);
        bad[1] = -1;
        CHECK_THROWS_WITH_AS(local_m_align_forward(alpha, e, bad, 0, 1, 2, S), doctest::Contains("len[b]"), attn::Error);
    }
    SUBCASE("t = 3, D = 2 in the middle of row 1: window [1, 5]") {
        local_m_align_forward(alpha, e, len, 3, 2, 2, S);
        double z = 0;
        for (int s = 1; s <= 5; s++) z += std::exp((double)e[S + s]);
        CHECK(alpha[S + 0] == 0.0f);
        for (int s = 1; s <= 5; s++) CHECK(alpha[S + s] == doctest::Approx(std::exp((double)e[S + s]) / z));
    }
}

TEST_CASE("ch04 local-m: rows sum to 1, padding (even −INFINITY scores) gets exactly 0, len 0 gives zeros") {
    Rng rng(3);
    const int B = 4, S = 7;
    std::vector<int> len = {7, 3, 1, 0};
    Buf e = testing::random_buf((size_t)B * S, rng, -3, 3), alpha((size_t)B * S);
    for (int b = 0; b < B; b++)
        for (int s = len[b]; s < S; s++) e[b * S + s] = -INFINITY;  // as chapter 02/03 scores mark padding
    for (int t : {0, 2, 5, 9})
        for (int D : {0, 1, 3}) {
            local_m_align_forward(alpha.data(), e.data(), len.data(), t, D, B, S);
            for (int b = 0; b < B; b++) {
                double sum = 0;
                for (int s = 0; s < S; s++) {
                    const float a = alpha[b * S + s];
                    CHECK(std::isfinite(a));
                    if (s >= len[b]) CHECK(a == 0.0f);
                    sum += a;
                }
                CHECK(sum == doctest::Approx(len[b] > 0 ? 1.0 : 0.0).epsilon(1e-6));
            }
        }
}

// ---- local-p: forward by hand --------------------------------------------------------------------
TEST_CASE("ch04 local-p: p on a position gives Gaussian factor 1 there; σ = D/2; padding 0") {
    const int S = 7, D = 2;  // σ = 1
    float e[S] = {0, 0, 0, 0, 0, 5, 5};  // len 5: positions 5, 6 are padding
    int len[1] = {5};
    float p[1] = {2.0f}, alpha[S], soft[S];
    local_p_align_forward(alpha, soft, e, p, len, D, 1, S);
    // window [0, 4], equal scores: soft = 1/5 on it
    for (int s = 0; s < 5; s++) CHECK(soft[s] == doctest::Approx(0.2));
    CHECK(alpha[2] == doctest::Approx(0.2));                       // exp(0) = 1 at s = p
    CHECK(alpha[1] == doctest::Approx(0.2 * std::exp(-0.5)));      // (s − p)² / 2σ² = 1/2
    CHECK(alpha[0] == doctest::Approx(0.2 * std::exp(-2.0)));      // 4/2
    CHECK(alpha[4] == doctest::Approx(0.2 * std::exp(-2.0)));
    CHECK(alpha[5] == 0.0f);
    CHECK(alpha[6] == 0.0f);

    // p = 4.8 (round -> 5, past the last position): the centre is clamped to 4, window [2, 4]
    p[0] = 4.8f;
    local_p_align_forward(alpha, soft, e, p, len, D, 1, S);
    CHECK(alpha[0] == 0.0f);
    CHECK(alpha[1] == 0.0f);
    for (int s = 2; s < 5; s++) {
        CHECK(soft[s] == doctest::Approx(1.0 / 3));
        CHECK(alpha[s] == doctest::Approx(std::exp(-(s - 4.8) * (s - 4.8) / 2.0) / 3));
    }
    CHECK(alpha[5] == 0.0f);

    CHECK_THROWS_AS(local_p_align_forward(alpha, soft, e, p, len, 0, 1, S), attn::Error);  // σ = 0
    // a length outside [0, S] is refused, in any row; 0 and S themselves are fine
    for (int bad : {-1, S + 1}) {
        int lens[2] = {5, bad};
        float e2[2 * S] = {}, p2[2] = {2.0f, 1.0f}, alpha2[2 * S], soft2[2 * S];
        CHECK_THROWS_AS(local_p_align_forward(alpha2, soft2, e2, p2, lens, D, 2, S), attn::Error);
        lens[0] = bad, lens[1] = 5;
        CHECK_THROWS_AS(local_p_align_forward(alpha2, soft2, e2, p2, lens, D, 2, S), attn::Error);
    }
    for (int ok : {0, S}) {
        int lens[1] = {ok};
        CHECK_NOTHROW(local_p_align_forward(alpha, soft, e, p, lens, D, 1, S));
    }
}

TEST_CASE("ch04 local-p: position p = len · sigmoid(v_pᵀ tanh(W_p h)) by hand, within (0, len)") {
    const int B = 2, H = 2, A = 2;
    float h[B * H] = {0, 0, 0.5f, -1.0f}, W_p[A * H] = {1, 0, 0, 2}, v_p[A] = {3, -1};
    int len[B] = {6, 9};
    float p[B], z[B * A];
    local_p_position_forward(p, z, h, W_p, v_p, len, B, H, A);
    CHECK(p[0] == doctest::Approx(3.0));  // h = 0 -> sigmoid(0) = 1/2
    const double z0 = std::tanh(0.5), z1 = std::tanh(-2.0), u = 3 * z0 - z1;
    CHECK(z[2] == doctest::Approx(z0));
    CHECK(z[3] == doctest::Approx(z1));
    CHECK(p[1] == doctest::Approx(9.0 / (1.0 + std::exp(-u))));
    CHECK(p[1] > 0.0f);
    CHECK(p[1] < 9.0f);
}

// ---- gradient checks ---------------------------------------------------------------------------
TEST_CASE("ch04 gradcheck: local_m_align_backward (de)") {
    Rng rng(11);
    const int B = 3, S = 6;
    std::vector<int> len = {6, 3, 5};
    Buf e = testing::random_buf((size_t)B * S, rng, -2, 2), R = testing::random_buf((size_t)B * S, rng);
    Buf alpha((size_t)B * S), de((size_t)B * S);
    for (int t : {0, 2, 4}) {
        INFO("t = " << t);
        const int D = 1;
        auto loss = [&] {
            local_m_align_forward(alpha.data(), e.data(), len.data(), t, D, B, S);
            return testing::dot_double(alpha.data(), R.data(), alpha.size());
        };
        loss();
        std::fill(de.begin(), de.end(), 0.0f);
        local_m_align_backward(de.data(), R.data(), alpha.data(), B, S);
        testing::check_gradient("local-m de", loss, e.data(), de.data(), e.size());
        // outside the window and on padding: exactly zero gradient
        for (int b = 0; b < B; b++) {
            const int p = std::min(t, len[b] - 1);
            for (int s = 0; s < S; s++)
                if (s >= len[b] || s < p - D || s > p + D) CHECK(de[b * S + s] == 0.0f);
        }
    }
}

struct PositionProblem {
    int B = 3, H = 4, A = 5;
    std::vector<int> len = {6, 3, 5};
    Buf h, W_p, v_p;
};
static PositionProblem position_problem(Rng& rng) {
    PositionProblem q;
    q.h = testing::random_buf((size_t)q.B * q.H, rng);
    q.W_p = testing::random_buf((size_t)q.A * q.H, rng);
    q.v_p = testing::random_buf((size_t)q.A, rng, -2, 2);
    return q;
}

TEST_CASE("ch04 gradcheck: local_p_position_backward (dh, dW_p, dv_p)") {
    Rng rng(12);
    PositionProblem q = position_problem(rng);
    const int B = q.B, H = q.H, A = q.A;
    Buf R = testing::random_buf(B, rng), p(B), z((size_t)B * A);
    auto loss = [&] {
        local_p_position_forward(p.data(), z.data(), q.h.data(), q.W_p.data(), q.v_p.data(), q.len.data(), B, H, A);
        return testing::dot_double(p.data(), R.data(), B);
    };
    loss();
    Buf dh((size_t)B * H), dW((size_t)A * H), dv(A);
    local_p_position_backward(dh.data(), dW.data(), dv.data(), R.data(), z.data(), q.h.data(), q.W_p.data(),
                              q.v_p.data(), q.len.data(), B, H, A);
    testing::check_gradient("local-p position dh", loss, q.h.data(), dh.data(), dh.size());
    testing::check_gradient("local-p position dW_p", loss, q.W_p.data(), dW.data(), dW.size());
    testing::check_gradient("local-p position dv_p", loss, q.v_p.data(), dv.data(), dv.size());
    // accumulation: a second backward doubles the gradient
    Buf dh2 = dh;
    local_p_position_backward(dh2.data(), nullptr, nullptr, R.data(), z.data(), q.h.data(), q.W_p.data(),
                              q.v_p.data(), q.len.data(), B, H, A);
    for (size_t i = 0; i < dh.size(); i++) CHECK(dh2[i] == doctest::Approx(2 * dh[i]));
}

TEST_CASE("ch04 gradcheck: local_p_align_backward (de and dp)") {
    Rng rng(13);
    const int B = 3, S = 8, D = 2;
    std::vector<int> len = {8, 4, 6};
    // p away from the x.5 rounding edges, so a step of ε = 1e-2 never moves a window
    Buf e = testing::random_buf((size_t)B * S, rng, -2, 2), R = testing::random_buf((size_t)B * S, rng);
    Buf p = {3.3f, 1.8f, 5.1f};
    Buf alpha((size_t)B * S), soft((size_t)B * S), de((size_t)B * S), dp(B);
    auto loss = [&] {
        local_p_align_forward(alpha.data(), soft.data(), e.data(), p.data(), len.data(), D, B, S);
        return testing::dot_double(alpha.data(), R.data(), alpha.size());
    };
    loss();
    local_p_align_backward(de.data(), dp.data(), R.data(), alpha.data(), soft.data(), p.data(), len.data(), D, B, S);
    testing::check_gradient("local-p align de", loss, e.data(), de.data(), de.size());
    testing::check_gradient("local-p align dp", loss, p.data(), dp.data(), dp.size(), {.eps = 1e-3});
    for (int b = 0; b < B; b++)
        for (int s = len[b]; s < S; s++) CHECK(de[b * S + s] == 0.0f);
}

TEST_CASE("ch04 gradcheck: local-p end to end, position then window (skips steps that move a window)") {
    Rng rng(14);
    PositionProblem q = position_problem(rng);
    const int B = q.B, H = q.H, A = q.A, S = 6, D = 1;
    Buf e = testing::random_buf((size_t)B * S, rng, -2, 2), R = testing::random_buf((size_t)B * S, rng);
    Buf p(B), z((size_t)B * A), alpha((size_t)B * S), soft((size_t)B * S);
    std::vector<int> centre(B);
    auto run = [&] {
        local_p_position_forward(p.data(), z.data(), q.h.data(), q.W_p.data(), q.v_p.data(), q.len.data(), B, H, A);
        local_p_align_forward(alpha.data(), soft.data(), e.data(), p.data(), q.len.data(), D, B, S);
        return testing::dot_double(alpha.data(), R.data(), alpha.size());
    };
    run();
    for (int b = 0; b < B; b++) centre[b] = (int)std::floor(p[b] + 0.5f);
    auto loss = [&] {  // NaN: this perturbation crossed a window edge (a kink), skip it
        double L = run();
        for (int b = 0; b < B; b++)
            if ((int)std::floor(p[b] + 0.5f) != centre[b]) return (double)NAN;
        return L;
    };
    run();
    Buf dp(B), de((size_t)B * S), dh((size_t)B * H), dW((size_t)A * H), dv(A);
    local_p_align_backward(de.data(), dp.data(), R.data(), alpha.data(), soft.data(), p.data(), q.len.data(), D, B,
                           S);
    local_p_position_backward(dh.data(), dW.data(), dv.data(), dp.data(), z.data(), q.h.data(), q.W_p.data(),
                              q.v_p.data(), q.len.data(), B, H, A);
    testing::check_gradient("local-p e2e de", loss, e.data(), de.data(), de.size());
    testing::check_gradient("local-p e2e dh", loss, q.h.data(), dh.data(), dh.size(), {.eps = 1e-3});
    testing::check_gradient("local-p e2e dW_p", loss, q.W_p.data(), dW.data(), dW.size(), {.eps = 1e-3});
    testing::check_gradient("local-p e2e dv_p", loss, q.v_p.data(), dv.data(), dv.size(), {.eps = 1e-3});
}

// ---- hard attention: sampling ----------------------------------------------------------------------
TEST_CASE("ch04 hard: test mode is argmax; training frequencies match α; padding never drawn") {
    const int B = 3, S = 5;
    // row 1 carries garbage weight on its padded positions: only s < len may ever be drawn
    float alpha[B * S] = {0.1f, 0.2f, 0.4f, 0.3f, 0.0f,  //
                          0.5f, 0.25f, 0.25f, 0.9f, 0.9f,  //
                          0.6f, 0.1f, 0.1f, 0.1f, 0.1f};
    int len[B] = {4, 3, 5}, idx[B];
    float onehot[B * S];
    Rng rng(5);
    for (int bad : {-1, S + 1}) {  // a length outside [0, S] is refused, in the first row or a later one
        int bad_first[B] = {bad, 3, 5}, bad_later[B] = {4, 3, bad};
        CHECK_THROWS_AS(hard_sample_forward(idx, onehot, alpha, bad_first, nullptr, B, S), attn::Error);
        CHECK_THROWS_AS(hard_sample_forward(idx, onehot, alpha, bad_later, nullptr, B, S), attn::Error);
    }
    hard_sample_forward(idx, onehot, alpha, len, nullptr, B, S);
    CHECK(idx[0] == 2);
    CHECK(idx[1] == 0);  // not 3 or 4 (padding)
    CHECK(idx[2] == 0);
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++) CHECK(onehot[b * S + s] == (s == idx[b] ? 1.0f : 0.0f));
    {
        // an empty row between others, a row of length 1; outputs pre-filled with garbage, and a
        // fourth row past B that must stay untouched
        int lens[4] = {3, 0, 1, 2}, got[4] = {99, 99, 99, 99};
        float hot[4 * S];
        std::fill(hot, hot + 3 * S, NAN);
        std::fill(hot + 3 * S, hot + 4 * S, 7.0f);
        float al[4 * S] = {0.1f, 0.6f, 0.3f, 0, 0,  0.2f, 0.2f, 0.2f, 0.2f, 0.2f,  //
                           0.3f, 0.7f, 0, 0, 0,  0.4f, 0.6f, 0, 0, 0};
        hard_sample_forward(got, hot, al, lens, nullptr, 3, S);
        CHECK(got[0] == 1);
        CHECK(got[1] == -1);
        CHECK(got[2] == 0);  // the only real position, though position 1 weighs more
        CHECK(got[3] == 99);
        for (int b = 0; b < 3; b++)
            for (int s = 0; s < S; s++) CHECK(hot[b * S + s] == (s == got[b] ? 1.0f : 0.0f));
        for (int s = 0; s < S; s++) CHECK(hot[3 * S + s] == 7.0f);
    }

    const int N = 100000;
    std::vector<double> count(B * S, 0.0);
    int bad = 0;  // draws outside [0, len) or a onehot that does not match idx
    for (int n = 0; n < N; n++) {
        hard_sample_forward(idx, onehot, alpha, len, &rng, B, S);
        for (int b = 0; b < B; b++) {
            if (idx[b] < 0 || idx[b] >= len[b] || onehot[b * S + idx[b]] != 1.0f) {
                bad++;
                continue;
            }
            count[b * S + idx[b]] += 1;
        }
    }
    REQUIRE(bad == 0);
    for (int b = 0; b < B; b++) {
        double total = 0;
        for (int s = 0; s < len[b]; s++) total += alpha[b * S + s];
        for (int s = 0; s < S; s++) {
            const double pr = s < len[b] ? alpha[b * S + s] / total : 0.0;
            const double se = std::sqrt(pr * (1 - pr) / N);
            INFO("row " << b << " position " << s);
            CHECK(std::fabs(count[b * S + s] / N - pr) <= 5 * se + 1e-12);
        }
    }

    int len0[1] = {0};  // nothing to attend to
    hard_sample_forward(idx, onehot, alpha, len0, &rng, 1, S);
    CHECK(idx[0] == -1);
    for (int s = 0; s < S; s++) CHECK(onehot[s] == 0.0f);
}

TEST_CASE("ch04 attention_entropy: uniform gives log n, one-hot 0, empty rows ignored") {
    const int S = 4;
    float alpha[3 * S] = {0.25f, 0.25f, 0.25f, 0.25f, 0, 1, 0, 0, 0, 0, 0, 0};
    int len[3] = {4, 3, 0};
    CHECK(attention_entropy(alpha, len, 1, S) == doctest::Approx(std::log(4.0)));
    CHECK(attention_entropy(alpha + S, len + 1, 1, S) == doctest::Approx(0.0));
    CHECK(attention_entropy(alpha, len, 3, S) == doctest::Approx(std::log(4.0) / 2));
}

// ---- hard attention: REINFORCE -----------------------------------------------------------------------
// Mean and standard error of the estimator −de (one sample per row) over N draws of i ~ α.
struct EstimatorStats {
    std::vector<double> mean, se, var;
};
static EstimatorStats reinforce_stats(const std::vector<float>& alpha_row, const std::vector<float>& r, float baseline,
                                      int N, Rng& rng) {
    const int S = (int)alpha_row.size(), B = 1000;  // N draws as N/B batches of B identical rows
    std::vector<int> len(B, S), idx(B);
    Buf alpha((size_t)B * S), onehot((size_t)B * S), de((size_t)B * S), adv(B);
    for (int b = 0; b < B; b++) std::copy(alpha_row.begin(), alpha_row.end(), alpha.begin() + (size_t)b * S);
    std::vector<double> sum(S, 0.0), sq(S, 0.0);
    for (int it = 0; it < N / B; it++) {
        hard_sample_forward(idx.data(), onehot.data(), alpha.data(), len.data(), &rng, B, S);
        for (int b = 0; b < B; b++) adv[b] = r[idx[b]] - baseline;  // A = r(i) − b
        std::fill(de.begin(), de.end(), 0.0f);
        hard_reinforce_backward(de.data(), alpha.data(), idx.data(), adv.data(), 0.0f, len.data(), B, S);
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                const double x = -de[(size_t)b * S + s];  // the ascent direction of E[r]
                sum[s] += x, sq[s] += x * x;
            }
    }
    EstimatorStats st;
    const double n = (double)(N / B) * B;
    for (int s = 0; s < S; s++) {
        const double m = sum[s] / n, v = sq[s] / n - m * m;
        st.mean.push_back(m), st.var.push_back(v), st.se.push_back(std::sqrt(v / n));
    }
    return st;
}

TEST_CASE("ch04 REINFORCE: the estimator's mean is the exact gradient of E[r]; a baseline keeps it, cuts variance") {
    const int S = 4;
    float e[S] = {0.3f, -0.5f, 1.0f, 0.1f};
    std::vector<float> alpha(S), r = {1.0f, -0.5f, 2.0f, 0.3f};
    int len1[1] = {S};
    masked_softmax_forward(alpha.data(), e, nullptr, len1, 1, S);
    double Er = 0;
    for (int s = 0; s < S; s++) Er += alpha[s] * r[s];
    std::vector<double> exact(S);  // ∂E_{i~α}[r_i]/∂e_s = α_s (r_s − Σ_j α_j r_j)
    for (int s = 0; s < S; s++) exact[s] = alpha[s] * (r[s] - Er);

    Rng rng(21);
    const int N = 200000;
    for (float baseline : {0.0f, 3.0f, (float)Er}) {
        INFO("baseline " << baseline);
        EstimatorStats st = reinforce_stats(alpha, r, baseline, N, rng);
        for (int s = 0; s < S; s++) {
            INFO("s = " << s << ": mean " << st.mean[s] << " exact " << exact[s] << " se " << st.se[s]);
            CHECK(std::fabs(st.mean[s] - exact[s]) <= 5 * st.se[s]);
            CHECK(std::fabs(exact[s]) > 10 * st.se[s]);  // the test can tell the right answer from 0
        }
    }
    // rewards far from 0 (r + 10): without a baseline the variance is much larger than with b̂ = E[r]
    std::vector<float> r10 = r;
    for (float& x : r10) x += 10;
    EstimatorStats st0 = reinforce_stats(alpha, r10, 0.0f, 20000, rng);
    EstimatorStats stb = reinforce_stats(alpha, r10, (float)(Er + 10), 20000, rng);
    double v0 = 0, vb = 0;
    for (int s = 0; s < S; s++) v0 += st0.var[s], vb += stb.var[s];
    CHECK(vb * 10 < v0);
}

TEST_CASE("ch04 REINFORCE: for a fixed sample, de is the exact gradient of −A log α_i − β H(α)") {
    Rng rng(22);
    const int B = 3, S = 6;
    std::vector<int> len = {6, 2, 4}, idx = {4, 1, 0};
    Buf e = testing::random_buf((size_t)B * S, rng, -2, 2), adv = {0.7f, -1.3f, 2.0f};
    Buf alpha((size_t)B * S), de((size_t)B * S);
    for (float beta : {0.0f, 0.5f}) {
        for (float a_scale : {1.0f, 0.0f}) {  // a_scale 0: the entropy term alone
            if (beta == 0.0f && a_scale == 0.0f) continue;
            INFO("beta " << beta << " advantage scale " << a_scale);
            Buf A = adv;
            for (float& x : A) x *= a_scale;
            // L = Σ_b −A_b log α_b[i_b] − β H(α_b), α = masked softmax(e)
            auto loss = [&] {
                masked_softmax_forward(alpha.data(), e.data(), nullptr, len.data(), B, S);
                double L = 0;
                for (int b = 0; b < B; b++)
                    L += -A[b] * std::log((double)alpha[b * S + idx[b]]) - beta * row_entropy(&alpha[b * S], len[b]);
                return L;
            };
            loss();
            std::fill(de.begin(), de.end(), 0.0f);
            hard_reinforce_backward(de.data(), alpha.data(), idx.data(), A.data(), beta, len.data(), B, S);
            testing::check_gradient("reinforce de", loss, e.data(), de.data(), de.size(), {.eps = 1e-3});
            for (int b = 0; b < B; b++)
                for (int s = len[b]; s < S; s++) CHECK(de[b * S + s] == 0.0f);
        }
    }
    {
        // by hand: a row with nothing attended to (idx −1, len 0) between two others is skipped; a weight
        // of exactly 0 inside the length gets A·(0 − 0) and no entropy term (α log α -> 0, not NaN);
        // a fourth row, past B, must stay untouched
        const int S3 = 3;
        const float al[4 * S3] = {0.5f, 0.0f, 0.5f,  0, 0, 0,  0.25f, 0.75f, 0,  0.5f, 0.5f, 0};
        const int ln[4] = {3, 0, 2, 2}, ix[4] = {0, -1, 1, 0};
        const float A[4] = {2.0f, 5.0f, -1.0f, 3.0f}, beta = 0.5f;
        float d[4 * S3];
        std::fill(d, d + 3 * S3, 0.0f);
        std::fill(d + 3 * S3, d + 4 * S3, 7.0f);
        hard_reinforce_backward(d, al, ix, A, beta, ln, 3, S3);
        const double H0 = std::log(2.0), H2 = -(0.25 * std::log(0.25) + 0.75 * std::log(0.75));
        CHECK(d[0] == doctest::Approx(2.0 * (0.5 - 1) + beta * 0.5 * (std::log(0.5) + H0)));
        CHECK(d[1] == 0.0f);
        CHECK(d[2] == doctest::Approx(2.0 * 0.5 + beta * 0.5 * (std::log(0.5) + H0)));
        for (int s = 0; s < S3; s++) CHECK(d[S3 + s] == 0.0f);
        CHECK(d[2 * S3 + 0] == doctest::Approx(-1.0 * 0.25 + beta * 0.25 * (std::log(0.25) + H2)));
        CHECK(d[2 * S3 + 1] == doctest::Approx(-1.0 * (0.75 - 1) + beta * 0.75 * (std::log(0.75) + H2)));
        CHECK(d[2 * S3 + 2] == 0.0f);
        for (int s = 0; s < S3; s++) CHECK(d[3 * S3 + s] == 7.0f);
    }
    // sign: one descent step on the entropy term alone raises the entropy
    Buf A0(B, 0.0f);
    masked_softmax_forward(alpha.data(), e.data(), nullptr, len.data(), B, S);
    const double H0 = attention_entropy(alpha.data(), len.data(), B, S);
    std::fill(de.begin(), de.end(), 0.0f);
    hard_reinforce_backward(de.data(), alpha.data(), idx.data(), A0.data(), 1.0f, len.data(), B, S);
    for (size_t i = 0; i < e.size(); i++) e[i] -= 0.1f * de[i];
    masked_softmax_forward(alpha.data(), e.data(), nullptr, len.data(), B, S);
    CHECK(attention_entropy(alpha.data(), len.data(), B, S) > H0);
}

TEST_CASE("ch04 gradcheck: baseline_backward (dh, dw_b, dbias) of ½ Σ (b̂ − r)²") {
    Rng rng(23);
    const int B = 3, H = 4;
    Buf h = testing::random_buf((size_t)B * H, rng), w = testing::random_buf(H, rng), bias = {0.3f};
    Buf r = testing::random_buf(B, rng, -3, 0), bhat(B);
    auto loss = [&] {
        baseline_forward(bhat.data(), h.data(), w.data(), bias.data(), B, H);
        double L = 0;
        for (int b = 0; b < B; b++) L += 0.5 * ((double)bhat[b] - r[b]) * ((double)bhat[b] - r[b]);
        return L;
    };
    const double L = loss();
    Buf dh((size_t)B * H), dw(H), db(1);
    CHECK(baseline_backward(dh.data(), dw.data(), db.data(), bhat.data(), r.data(), h.data(), w.data(), B, H) ==
          doctest::Approx(L));
    testing::check_gradient("baseline dh", loss, h.data(), dh.data(), dh.size());
    testing::check_gradient("baseline dw_b", loss, w.data(), dw.data(), dw.size());
    testing::check_gradient("baseline dbias", loss, bias.data(), db.data(), 1);
    // gradients are added into what the buffers hold: a second call doubles them
    loss();  // bhat at the unperturbed point again (the checks above left it at their last probe)
    Buf dh1 = dh, dw1 = dw, db1 = db;
    baseline_backward(dh.data(), dw.data(), db.data(), bhat.data(), r.data(), h.data(), w.data(), B, H);
    for (size_t i = 0; i < dh.size(); i++) CHECK(dh[i] == doctest::Approx(2 * dh1[i]));
    for (int k = 0; k < H; k++) CHECK(dw[k] == doctest::Approx(2 * dw1[k]));
    CHECK(db[0] == doctest::Approx(2 * db1[0]));
    // rows and weights past B and H are never read or written: h has a row past B, w_b a weight past H
    // (huge, so reading it shows), bhat, dh and dw_b a guard past their ends
    Buf h2 = h, w2 = w, bh2(B + 1, 7.0f), dh2((size_t)(B + 1) * H, 0.0f), dw2(H + 1, 0.0f);
    h2.resize((size_t)(B + 1) * H, 1e30f), w2.push_back(1e30f);
    dh2[(size_t)B * H] = 7.0f, dw2[H] = 7.0f;
    baseline_forward(bh2.data(), h2.data(), w2.data(), bias.data(), B, H);
    for (int b = 0; b < B; b++) CHECK(bh2[b] == bhat[b]);
    CHECK(bh2[B] == 7.0f);
    Buf r2 = r;
    r2.push_back(1e30f);
    const double L2 = baseline_backward(dh2.data(), dw2.data(), nullptr, bh2.data(), r2.data(), h2.data(), w2.data(), B, H);
    CHECK(L2 == doctest::Approx(L));
    for (size_t i = 0; i < dh1.size(); i++) CHECK(dh2[i] == doctest::Approx(dh1[i]));
    for (int k = 0; k < H; k++) CHECK(dw2[k] == doctest::Approx(dw1[k]));
    CHECK(dh2[(size_t)B * H] == 7.0f);
    CHECK(dw2[H] == 7.0f);
}
