// Tests for common/nn/layernorm: a hand-computed row, PyTorch fixture (forward and all three
// gradients), gradient checks for inp, gamma and beta, thread-count independence.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "common/nn/layernorm.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/fixture.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;

TEST_CASE("layernorm: hand-computed row") {
    // x = [1, 3]: μ = 2, σ² = 1, x̂ = [−1, 1]; γ = [2, 3], β = [0.5, −1] → [−1.5, 2]
    float x[2] = {1, 3}, g[2] = {2, 3}, b[2] = {0.5f, -1}, out[2], mean, rstd;
    layernorm_forward(out, &mean, &rstd, x, g, b, 1, 2, 0.0f);
    CHECK(mean == 2.0f);
    CHECK(rstd == 1.0f);
    CHECK(out[0] == doctest::Approx(-1.5));
    CHECK(out[1] == doctest::Approx(2.0));
    // without γ, β; eps matters for a constant row: x̂ = 0, rstd = 1/√eps
    float c[3] = {4, 4, 4}, o3[3];
    layernorm_forward(o3, &mean, &rstd, c, nullptr, nullptr, 1, 3, 1e-4f);
    CHECK(o3[0] == 0.0f);
    CHECK(rstd == doctest::Approx(100.0));
}

TEST_CASE("layernorm: matches PyTorch F.layer_norm forward and backward (N=4, C=6)") {
    auto fx = load_fixture("norm_loss.txt");
    const auto& x = get(fx, "ln_x");
    const int N = x.shape[0], C = x.shape[1];
    Buf out(N * C), mean(N), rstd(N), dx(N * C, 0.0f), dg(C, 0.0f), db(C, 0.0f);
    const float* g = get(fx, "ln_gamma").v.data();
    layernorm_forward(out.data(), mean.data(), rstd.data(), x.v.data(), g, get(fx, "ln_beta").v.data(), N, C);
    CHECK(max_abs_diff(out.data(), get(fx, "ln_out").v.data(), N * C) < 1e-5);
    layernorm_backward(dx.data(), dg.data(), db.data(), get(fx, "ln_R").v.data(), x.v.data(), g, mean.data(),
                       rstd.data(), N, C);
    CHECK(max_abs_diff(dx.data(), get(fx, "ln_dx").v.data(), N * C) < 1e-5);
    CHECK(max_abs_diff(dg.data(), get(fx, "ln_dgamma").v.data(), C) < 1e-5);
    CHECK(max_abs_diff(db.data(), get(fx, "ln_dbeta").v.data(), C) < 1e-5);
}

TEST_CASE("layernorm: gradient check for inp, gamma and beta") {
    const int N = 5, C = 8;
    Rng rng(31);
    Buf x = random_buf(N * C, rng, -2, 3), g = random_buf(C, rng, 0.5f, 1.5f), b = random_buf(C, rng);
    Buf R = random_buf(N * C, rng), out(N * C), mean(N), rstd(N);
    Buf dx(N * C, 0.0f), dg(C, 0.0f), db(C, 0.0f);
    layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), N, C);
    layernorm_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), g.data(), mean.data(), rstd.data(), N, C);
    auto loss = [&] {
        Buf o(N * C), m(N), r(N);
        layernorm_forward(o.data(), m.data(), r.data(), x.data(), g.data(), b.data(), N, C);
        return dot_double(o.data(), R.data(), o.size());
    };
    check_gradient("layernorm.inp", loss, x.data(), dx.data(), x.size());
    check_gradient("layernorm.gamma", loss, g.data(), dg.data(), g.size());
    check_gradient("layernorm.beta", loss, b.data(), db.data(), b.size());
}

TEST_CASE("layernorm: bit-identical on 1, 2 and 3 threads; backward accumulates; nullptr grads skipped") {
    const int N = 700, C = 96;  // large enough to be split both by rows and by columns
    Rng rng(32);
    Buf x = random_buf(N * C, rng, -2, 2), g = random_buf(C, rng), b = random_buf(C, rng), R = random_buf(N * C, rng);
    auto run = [&](int threads) {
        set_threads(threads);
        Buf out(N * C), mean(N), rstd(N), dx(N * C, 1.0f), dg(C, 1.0f), db(C, 1.0f);
        layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), N, C);
        layernorm_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), g.data(), mean.data(), rstd.data(),
                           N, C);
        std::vector<Buf> all = {out, dx, dg, db, mean, rstd};
        return all;
    };
    auto a = run(1), b2 = run(2), c = run(3);
    set_threads(0);
    for (size_t k = 0; k < a.size(); k++) {
        CHECK(a[k] == b2[k]);
        CHECK(a[k] == c[k]);
    }
    // accumulation: dbeta started at 1, so dbeta − 1 must be Σ_n R[n, c]
    for (int cc = 0; cc < C; cc += 17) {
        double s = 0;
        for (int n = 0; n < N; n++) s += R[(size_t)n * C + cc];
        CHECK(a[3][cc] - 1.0 == doctest::Approx(s).epsilon(1e-4));
    }
    // only dgamma requested: no crash, same dgamma
    Buf dg_only(C, 1.0f);
    layernorm_backward(nullptr, dg_only.data(), nullptr, R.data(), x.data(), g.data(), a[4].data(), a[5].data(), N,
                       C);
    CHECK(dg_only == a[2]);
}

TEST_CASE("layernorm_backward without accumulate: dinp gets the bits of += into zeros; dgamma, dbeta add") {
    const int N = 300, C = 48;
    Rng rng(33);
    Buf x = random_buf(N * C, rng, -2, 2), g = random_buf(C, rng), b = random_buf(C, rng);
    Buf R = random_buf(N * C, rng);
    Buf out(N * C), mean(N), rstd(N);
    layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), N, C);
    Buf added(N * C, 0.0f), written(N * C, NAN), dg1(C, 1.0f), db1(C, 1.0f), dg2(C, 1.0f), db2(C, 1.0f);
    layernorm_backward(added.data(), dg1.data(), db1.data(), R.data(), x.data(), g.data(), mean.data(),
                       rstd.data(), N, C);
    layernorm_backward(written.data(), dg2.data(), db2.data(), R.data(), x.data(), g.data(), mean.data(),
                       rstd.data(), N, C, /*accumulate=*/false);
    CHECK(std::memcmp(added.data(), written.data(), added.size() * sizeof(float)) == 0);
    CHECK(dg1 == dg2);
    CHECK(db1 == db2);
}

TEST_CASE("layernorm: rows normalised four side by side give the bits of each row alone") {
    // layernorm.cpp runs kRows = 4 rows' sums as independent chains; each must keep its own order
    const int N = 7, C = 37;  // one group of four and three rows alone; then every row alone
    Rng rng(34);
    Buf x = random_buf(N * C, rng, -2, 3), g = random_buf(C, rng), b = random_buf(C, rng), R = random_buf(N * C, rng);
    Buf out(N * C), mean(N), rstd(N), dx(N * C, 0.5f), dg(C, 0.0f), db(C, 0.0f);
    layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), N, C);
    layernorm_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), g.data(), mean.data(), rstd.data(), N, C);
    for (int n = 0; n < N; n++) {
        CAPTURE(n);
        const size_t o = (size_t)n * C;
        Buf out1(C), mean1(1), rstd1(1), dx1(C, 0.5f), dg1(C, 0.0f), db1(C, 0.0f);
        layernorm_forward(out1.data(), mean1.data(), rstd1.data(), x.data() + o, g.data(), b.data(), 1, C);
        layernorm_backward(dx1.data(), dg1.data(), db1.data(), R.data() + o, x.data() + o, g.data(), mean1.data(),
                           rstd1.data(), 1, C);
        CHECK(std::memcmp(out1.data(), out.data() + o, C * sizeof(float)) == 0);
        CHECK(std::memcmp(&mean1[0], &mean[n], sizeof(float)) == 0);
        CHECK(std::memcmp(&rstd1[0], &rstd[n], sizeof(float)) == 0);
        CHECK(std::memcmp(dx1.data(), dx.data() + o, C * sizeof(float)) == 0);
    }
}
