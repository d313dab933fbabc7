// Chapter 10's parts: the glimpse sensor by hand, the glimpse network's gradient, the REINFORCE
// estimator's expectation and the policy and baseline losses' gradients.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "chapters/10_recurrent_attention/glimpse.hpp"
#include "chapters/10_recurrent_attention/reinforce.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace ch10;
using attn::testing::check_gradient;
using attn::testing::dot_double;
using attn::testing::random_buf;

// ---- the sensor, by hand -----------------------------------------------------------------------

// A 4×4 image holding 1..16 row by row (no zeros, so a zero read is "outside the image").
static Buf image_1_to_16() {
    Buf x(16);
    for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
    return x;
}

TEST_CASE("ch10 glimpse: the location maps to pixels as documented") {
    // c = (l + 1)·n/2, first pixel ⌊c − S/2 + ½⌋
    CHECK(glimpse_origin(0.0f, 28, 8) == 10);    // centre 14: pixels 10..17
    CHECK(glimpse_origin(-1.0f, 28, 8) == -4);   // centre 0: half the patch off the image
    CHECK(glimpse_origin(1.0f, 28, 8) == 24);    // centre 28
    CHECK(glimpse_origin(0.5f, 60, 12) == 39);   // centre 45
    CHECK(glimpse_origin(0.0f, 60, 48) == 6);    // the largest 60×60 scale, centred: 6..53
}

TEST_CASE("ch10 glimpse: the centre glimpse reads the middle pixels and averages the larger scale") {
    Buf x = image_1_to_16(), out(2 * 4);
    const float loc[2] = {0.0f, 0.0f};
    glimpse_sensor_forward(out.data(), x.data(), loc, 1, 4, 4, /*g=*/2, /*k=*/2);
    // scale 0: the 2×2 patch at rows 1..2, cols 1..2
    CHECK(out[0] == 6.0f);
    CHECK(out[1] == 7.0f);
    CHECK(out[2] == 10.0f);
    CHECK(out[3] == 11.0f);
    // scale 1: the whole 4×4 image, each 2×2 block averaged
    CHECK(out[4] == doctest::Approx((1 + 2 + 5 + 6) / 4.0));
    CHECK(out[5] == doctest::Approx((3 + 4 + 7 + 8) / 4.0));
    CHECK(out[6] == doctest::Approx((9 + 10 + 13 + 14) / 4.0));
    CHECK(out[7] == doctest::Approx((11 + 12 + 15 + 16) / 4.0));
}

TEST_CASE("ch10 glimpse: pixels outside the image read as zeros") {
    Buf x = image_1_to_16(), out(2 * 4);
    const float loc[2] = {-1.0f, -1.0f};  // the top-left corner
    glimpse_sensor_forward(out.data(), x.data(), loc, 1, 4, 4, 2, 2);
    // scale 0: rows −1..0, cols −1..0: only pixel (0,0) = 1 is inside
    CHECK(out[0] == 0.0f);
    CHECK(out[1] == 0.0f);
    CHECK(out[2] == 0.0f);
    CHECK(out[3] == 1.0f);
    // scale 1: rows −2..1, cols −2..1: only the bottom-right block (rows 0..1, cols 0..1) is inside
    CHECK(out[4] == 0.0f);
    CHECK(out[5] == 0.0f);
    CHECK(out[6] == 0.0f);
    CHECK(out[7] == doctest::Approx((1 + 2 + 5 + 6) / 4.0));

    // the bottom-right corner, the image followed by a pixel that is not its own (1000), the output
    // pre-filled with NaN and followed by a guard (7) that must stay
    Buf xg = image_1_to_16(), og(2 * 4 + 1, NAN);
    xg.push_back(1000.0f);
    og.back() = 7.0f;
    const float corner[2] = {1.0f, 1.0f};
    glimpse_sensor_forward(og.data(), xg.data(), corner, 1, 4, 4, 2, 2);
    // scale 0: rows 3..4, cols 3..4: only pixel (3,3) = 16 is inside
    CHECK(og[0] == 16.0f);
    CHECK(og[1] == 0.0f);
    CHECK(og[2] == 0.0f);
    CHECK(og[3] == 0.0f);
    // scale 1: rows 2..5, cols 2..5: only the top-left block (rows 2..3, cols 2..3) is inside; column 4
    // of row 2 is not the next row's first pixel
    CHECK(og[4] == doctest::Approx((11 + 12 + 15 + 16) / 4.0));
    CHECK(og[5] == 0.0f);
    CHECK(og[6] == 0.0f);
    CHECK(og[7] == 0.0f);
    CHECK(og[8] == 7.0f);
}

TEST_CASE("ch10 glimpse: x is the column and y the row, on a non-square image, per batch item") {
    // Two 4×6 images: the second is the first plus 100.
    Buf x(2 * 24), out(2 * 4);
    for (int i = 0; i < 24; i++) x[i] = (float)i, x[24 + i] = 100.0f + i;
    const float loc[4] = {0.5f, -0.5f, -1.0f / 3.0f, 0.5f};
    glimpse_sensor_forward(out.data(), x.data(), loc, 2, /*H=*/4, /*W=*/6, /*g=*/2, /*k=*/1);
    // image 0: c_x = 1.5·3 = 4.5 → cols 4..5; c_y = 0.5·2 = 1 → rows 0..1
    CHECK(out[0] == 4.0f);
    CHECK(out[1] == 5.0f);
    CHECK(out[2] == 10.0f);
    CHECK(out[3] == 11.0f);
    // image 1: c_x = (2/3)·3 = 2 → cols 1..2; c_y = 1.5·2 = 3 → rows 2..3
    CHECK(out[4] == 113.0f);
    CHECK(out[5] == 114.0f);
    CHECK(out[6] == 119.0f);
    CHECK(out[7] == 120.0f);
}

TEST_CASE("ch10 glimpse: the same glimpses on 1 and 3 threads") {
    Rng rng(4);
    const int B = 7, H = 20, W = 20, g = 4, k = 3;
    Buf x = random_buf((size_t)B * H * W, rng, 0.0f, 1.0f), loc = random_buf((size_t)B * 2, rng);
    Buf o1((size_t)B * k * g * g), o3(o1.size());
    set_threads(1);
    glimpse_sensor_forward(o1.data(), x.data(), loc.data(), B, H, W, g, k);
    set_threads(3);
    glimpse_sensor_forward(o3.data(), x.data(), loc.data(), B, H, W, g, k);
    set_threads(0);
    CHECK(o1 == o3);
}

// ---- the glimpse network's gradient ---------------------------------------------------------------

TEST_CASE("ch10 glimpse: the glimpse network's backward matches finite differences") {
    Rng rng(11);
    const int N = 5, P = 8, Dg = 6, Dl = 4, G = 5;
    Buf rho = random_buf((size_t)N * P, rng, 0.0f, 1.0f), loc = random_buf((size_t)N * 2, rng);
    // parameters in one buffer (biases positive so most relus are alive)
    Buf W_what = random_buf((size_t)Dg * P, rng), b_what = random_buf(Dg, rng, 0.05f, 0.3f);
    Buf W_where = random_buf((size_t)Dl * 2, rng), b_where = random_buf(Dl, rng, 0.05f, 0.3f);
    Buf W_g = random_buf((size_t)G * Dg, rng), W_l = random_buf((size_t)G * Dl, rng), b_g = random_buf(G, rng, 0.05f, 0.3f);
    GlimpseNetParams p{W_what.data(), b_what.data(), W_where.data(), b_where.data(), W_g.data(), W_l.data(), b_g.data()};
    Buf g((size_t)N * G), g_pre(g.size()), hg((size_t)N * Dg), hg_pre(hg.size()), hl((size_t)N * Dl), hl_pre(hl.size());
    Buf Rg = random_buf(g.size(), rng);
    auto signs = [&]() {
        std::vector<int> s;
        for (const Buf* b : {&g_pre, &hg_pre, &hl_pre})
            for (float v : *b) s.push_back(v > 0);
        return s;
    };
    glimpse_net_forward(g.data(), g_pre.data(), hg.data(), hg_pre.data(), hl.data(), hl_pre.data(), rho.data(),
                        loc.data(), p, N, P, Dg, Dl, G);
    const std::vector<int> s0 = signs();
    Buf dW_what(W_what.size()), db_what(Dg), dW_where(W_where.size()), db_where(Dl), dW_g(W_g.size()), dW_l(W_l.size()),
        db_g(G), s1(g.size()), s2(hg.size()), s3(hl.size());
    GlimpseNetGrads d{dW_what.data(), db_what.data(), dW_where.data(), db_where.data(), dW_g.data(), dW_l.data(), db_g.data()};
    glimpse_net_backward(d, s1.data(), s2.data(), s3.data(), Rg.data(), g_pre.data(), hg.data(), hg_pre.data(), hl.data(),
                         hl_pre.data(), rho.data(), loc.data(), p, N, P, Dg, Dl, G);
    auto loss = [&]() -> double {
        glimpse_net_forward(g.data(), g_pre.data(), hg.data(), hg_pre.data(), hl.data(), hl_pre.data(), rho.data(),
                            loc.data(), p, N, P, Dg, Dl, G);
        return signs() == s0 ? dot_double(g.data(), Rg.data(), g.size()) : NAN;
    };
    GradCheckOptions opt;
    opt.eps = 1e-3;
    check_gradient("W_what", loss, W_what.data(), dW_what.data(), W_what.size(), opt);
    check_gradient("b_what", loss, b_what.data(), db_what.data(), Dg, opt);
    check_gradient("W_where", loss, W_where.data(), dW_where.data(), W_where.size(), opt);
    check_gradient("b_where", loss, b_where.data(), db_where.data(), Dl, opt);
    check_gradient("W_g", loss, W_g.data(), dW_g.data(), W_g.size(), opt);
    check_gradient("W_l", loss, W_l.data(), dW_l.data(), W_l.size(), opt);
    check_gradient("b_g", loss, b_g.data(), db_g.data(), G, opt);
}

// ---- REINFORCE ------------------------------------------------------------------------------------

TEST_CASE("ch10 reinforce: the policy and baseline losses' gradients match finite differences") {
    Rng rng(3);
    const int T = 3, B = 4, N = T * B;
    const float sigma = 0.2f;
    Buf mu = random_buf((size_t)N * 2, rng, -0.8f, 0.8f), l = random_buf((size_t)N * 2, rng);
    Buf adv = random_buf(N, rng), base = random_buf(N, rng, 0.0f, 1.0f), R = {1.0f, 0.0f, 1.0f, 1.0f};
    Buf logp(N), dmu(mu.size(), 0.0f), dbase(N, 0.0f);
    policy_loss_backward(dmu.data(), l.data(), mu.data(), adv.data(), sigma, N, B, 1.0f);
    check_gradient("policy loss / mu",
                   [&]() -> double {
                       gaussian_log_prob_forward(logp.data(), l.data(), mu.data(), sigma, N);
                       return policy_loss_forward(logp.data(), adv.data(), N, B);
                   },
                   mu.data(), dmu.data(), mu.size(), GradCheckOptions{1e-3, 1e-3, 2e-2});
    // exactly, by hand, added into what dmu held (0.5), scaled by dloss = 2, nothing past row N written
    // (mu, l and adv have a row past N with huge values, dmu a guard of 7)
    Buf mu3 = mu, l3 = l, adv3 = adv, dmu3(mu.size() + 2, 0.5f);
    mu3.insert(mu3.end(), {1e30f, 1e30f}), l3.insert(l3.end(), {-1e30f, -1e30f}), adv3.push_back(1e30f);
    dmu3[N * 2] = dmu3[N * 2 + 1] = 7.0f;
    policy_loss_backward(dmu3.data(), l3.data(), mu3.data(), adv3.data(), sigma, N, B, 2.0f);
    size_t wrong = 0;
    for (int i = 0; i < N; i++)
        for (int d = 0; d < 2; d++) {
            const double want = 0.5 - 2.0 / (B * sigma * sigma) * adv[i] * (l[i * 2 + d] - mu[i * 2 + d]);
            wrong += !(std::fabs(dmu3[i * 2 + d] - want) <= 1e-5 * (1 + std::fabs(want)));
        }
    CHECK(wrong == 0);
    CHECK(dmu3[N * 2] == 7.0f);
    CHECK(dmu3[N * 2 + 1] == 7.0f);
    baseline_loss_backward(dbase.data(), base.data(), R.data(), N, B, 1.0f);
    check_gradient("baseline loss / b", [&]() -> double { return baseline_loss_forward(base.data(), R.data(), N, B); },
                   base.data(), dbase.data(), N, GradCheckOptions{1e-3, 1e-4, 1e-2});
    // log π by hand: l = μ gives −2·log(σ√(2π)); one σ off in x adds −½
    const float m2[2] = {0.3f, -0.2f}, l2[2] = {0.3f + sigma, -0.2f};
    float lp = 0;
    gaussian_log_prob_forward(&lp, l2, m2, sigma, 1);
    CHECK(lp == doctest::Approx(-0.5 - 2 * std::log(sigma * std::sqrt(2 * std::numbers::pi))).epsilon(1e-5));
}

// The REINFORCE estimator is unbiased: on a tiny 2-D Gaussian policy l ∼ N(μ, σ²I) with reward
// r(l) = −|l − a|², E[r] = −|μ − a|² − 2σ², so ∂E[r]/∂μ = −2(μ − a). The average of the estimator
// −∂L_policy/∂μ over many samples must match it within a few standard errors, with or without a
// baseline — and the baseline E[r] must shrink the spread of the samples.
TEST_CASE("ch10 reinforce: the estimator's mean is the true gradient of the expected reward") {
    Rng rng(2024);
    const float sigma = 0.3f, mu0[2] = {0.2f, -0.4f}, a[2] = {-0.1f, 0.3f};
    const int n = 20000;
    Buf mu((size_t)n * 2), l((size_t)n * 2), loc((size_t)n * 2), eps((size_t)n * 2), r(n), adv(n);
    for (int i = 0; i < n; i++) mu[i * 2] = mu0[0], mu[i * 2 + 1] = mu0[1];
    for (float& e : eps) e = rng.normal();
    gaussian_sample_forward(l.data(), loc.data(), mu.data(), eps.data(), sigma, n);
    for (int i = 0; i < n; i++) {
        const float dx = l[i * 2] - a[0], dy = l[i * 2 + 1] - a[1];
        r[i] = -(dx * dx + dy * dy);
    }
    const double baseline = -((mu0[0] - a[0]) * (mu0[0] - a[0]) + (mu0[1] - a[1]) * (mu0[1] - a[1])) - 2 * sigma * sigma;
    double sd_plain[2] = {0, 0};
    for (int with_baseline = 0; with_baseline < 2; with_baseline++) {
        for (int i = 0; i < n; i++) adv[i] = r[i] - (with_baseline ? (float)baseline : 0.0f);
        // One sample per "batch" (B = 1), so each row's dμ is one estimate of −∂J/∂μ.
        Buf dmu((size_t)n * 2, 0.0f);
        policy_loss_backward(dmu.data(), l.data(), mu.data(), adv.data(), sigma, n, 1, 1.0f);
        for (int d = 0; d < 2; d++) {
            double s = 0, s2 = 0;
            for (int i = 0; i < n; i++) s += -dmu[i * 2 + d], s2 += (double)dmu[i * 2 + d] * dmu[i * 2 + d];
            const double mean = s / n, sd = std::sqrt(s2 / n - mean * mean), se = sd / std::sqrt((double)n);
            const double truth = -2.0 * (mu0[d] - a[d]);
            INFO("baseline " << with_baseline << " coordinate " << d << ": mean " << mean << " ± " << se << " vs "
                             << truth);
            CHECK(std::fabs(mean - truth) < 4 * se);
            CHECK(se < 0.1);  // the test has power: an estimator off by 0.4 would fail
            if (!with_baseline) sd_plain[d] = sd;
            else CHECK(sd < 0.8 * sd_plain[d]);
        }
    }
}

TEST_CASE("ch10 reinforce: the reward is 1 exactly for a right final answer") {
    const float probs[3 * 3] = {0.7f, 0.2f, 0.1f, 0.1f, 0.3f, 0.6f, 0.3f, 0.4f, 0.3f};
    const int y[3] = {0, 1, 1};
    float R[3];
    reward_forward(R, probs, y, 3, 3);
    CHECK(R[0] == 1.0f);
    CHECK(R[1] == 0.0f);
    CHECK(R[2] == 1.0f);
}
