// Tests for optim.hpp (SGD, Adam, AdamW, clip_grad_norm) and schedule.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/core/error.hpp"
#include "common/nn/optim.hpp"
#include "common/core/rng.hpp"
#include "common/nn/schedule.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/fixture.hpp"

using namespace attn;
using attn::testing::get;
using attn::testing::load_fixture;
using attn::testing::max_abs_diff;

namespace {
// The two parameters of data_tools/torch_fixtures/optim.py: w (3, 4) and b (5,).
struct TwoParams {
    Tensor w, b;
    ParamSet ps;
    explicit TwoParams(const attn::testing::Fixture& fx) {
        ps.add(w, "w", {3, 4});
        ps.add(b, "b", {5});
        ps.allocate();
        std::memcpy(w.data, get(fx, "w0").v.data(), 12 * sizeof(float));
        std::memcpy(b.data, get(fx, "b0").v.data(), 5 * sizeof(float));
    }
    void set_grad(const attn::testing::Fixture& fx, int k) {
        // (names built with snprintf: g++ 12 gives a false -Wrestrict on "g" + std::to_string(k) + ".w")
        char wn[16], bn[16];
        std::snprintf(wn, sizeof wn, "g%d.w", k);
        std::snprintf(bn, sizeof bn, "g%d.b", k);
        std::memcpy(w.grad, get(fx, wn).v.data(), 12 * sizeof(float));
        std::memcpy(b.grad, get(fx, bn).v.data(), 5 * sizeof(float));
    }
    void check(const attn::testing::Fixture& fx, const std::string& prefix, double tol) {
        CHECK(max_abs_diff(w.data, get(fx, prefix + ".w").v.data(), 12) < tol);
        CHECK(max_abs_diff(b.data, get(fx, prefix + ".b").v.data(), 5) < tol);
    }
};

// Run 3 steps of `opt` on the fixture's gradients, comparing with PyTorch after steps 1 and 3.
template <class Opt>
void check_against_torch(Opt& opt, TwoParams& p, const attn::testing::Fixture& fx, const std::string& name) {
    for (int k = 1; k <= 3; k++) {
        p.ps.zero_grad();
        p.set_grad(fx, k);
        opt.step(p.ps);
        if (k == 1 || k == 3) p.check(fx, name + ".step" + std::to_string(k), 1e-6);
    }
}
}  // namespace

TEST_CASE("optim: SGD with momentum and weight decay, hand-computed") {
    Tensor x;
    ParamSet ps;
    ps.add(x, "x", {1});
    ps.allocate();
    x.data[0] = 1.0f;
    SGD opt = make_sgd(ps, 0.1f, 0.9f, 0.1f);
    x.grad[0] = 0.5f;
    opt.step(ps);  // g = 0.5 + 0.1*1 = 0.6; v = 0.6; x = 1 - 0.1*0.6 = 0.94
    CHECK(x.data[0] == doctest::Approx(0.94).epsilon(1e-6));
    CHECK(opt.velocity[0] == doctest::Approx(0.6).epsilon(1e-6));
    opt.step(ps);  // g = 0.5 + 0.094 = 0.594; v = 0.54 + 0.594 = 1.134; x = 0.94 - 0.1134 = 0.8266
    CHECK(x.data[0] == doctest::Approx(0.8266).epsilon(1e-6));
    CHECK(opt.velocity[0] == doctest::Approx(1.134).epsilon(1e-6));

    SGD plain = make_sgd(ps, 0.5f);  // no momentum: x -= lr * g
    plain.step(ps);
    CHECK(x.data[0] == doctest::Approx(0.8266 - 0.25).epsilon(1e-6));
}

TEST_CASE("optim: SGD, Adam and AdamW match torch.optim after 1 and 3 steps") {
    auto fx = load_fixture("optim.txt");
    SUBCASE("SGD momentum 0.9, weight decay 0.01") {
        TwoParams p(fx);
        SGD opt = make_sgd(p.ps, 0.1f, 0.9f, 0.01f);
        check_against_torch(opt, p, fx, "sgd");
    }
    SUBCASE("Adam, weight decay 0.1 (L2 in the gradient)") {
        TwoParams p(fx);
        Adam opt = make_adam(p.ps, 0.01f);
        opt.weight_decay = 0.1f;
        check_against_torch(opt, p, fx, "adam");
        CHECK(opt.t == 3);
        CHECK(max_abs_diff(opt.m.data(), get(fx, "adam.m.w").v.data(), 12) < 1e-6);
        CHECK(max_abs_diff(opt.v.data(), get(fx, "adam.v.w").v.data(), 12) < 1e-6);
    }
    SUBCASE("AdamW, weight decay 0.1 (decoupled)") {
        TwoParams p(fx);
        Adam opt = make_adamw(p.ps, 0.01f, 0.1f);
        check_against_torch(opt, p, fx, "adamw");
        CHECK(max_abs_diff(opt.m.data(), get(fx, "adamw.m.w").v.data(), 12) < 1e-6);
        CHECK(max_abs_diff(opt.v.data(), get(fx, "adamw.v.w").v.data(), 12) < 1e-6);
    }
    SUBCASE("Adam and AdamW differ when weight decay is on (the test can tell them apart)") {
        TwoParams p(fx), q(fx);
        Adam a = make_adam(p.ps, 0.01f), aw = make_adamw(q.ps, 0.01f, 0.1f);
        a.weight_decay = 0.1f;
        p.set_grad(fx, 1), q.set_grad(fx, 1);
        a.step(p.ps), aw.step(q.ps);
        CHECK(max_abs_diff(p.w.data, q.w.data, 12) > 1e-5);
    }
}

TEST_CASE("optim: step before init is an error that says to call init") {
    Tensor x;
    ParamSet ps;
    ps.add(x, "x", {4});
    ps.allocate();
    Adam opt;
    CHECK_THROWS_WITH_AS(opt.step(ps), doctest::Contains("init"), attn::Error);
    SGD sgd;
    sgd.momentum = 0.9f;
    CHECK_THROWS_WITH_AS(sgd.step(ps), doctest::Contains("init"), attn::Error);
}

TEST_CASE("optim: Adam and clip_grad_norm are bit-identical on 1, 2 and 3 threads") {
    const int n = 70001;  // several chunks per thread
    Buf ref_value, ref_grad;
    float ref_norm = 0;
    for (int threads : {1, 2, 3}) {
        set_threads(threads);
        Tensor x;
        ParamSet ps;
        ps.add(x, "x", {n});
        ps.allocate();
        Rng rng(5);
        for (int i = 0; i < n; i++) x.data[i] = rng.normal();
        Adam opt = make_adamw(ps, 1e-2f, 0.01f);
        float norm = 0;
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < n; i++) x.grad[i] = rng.normal();
            norm = clip_grad_norm(ps, 10.0f);
            opt.step(ps);
        }
        if (threads == 1) {
            ref_value = ps.value, ref_grad = ps.grad, ref_norm = norm;
        } else {
            CHECK(std::memcmp(&norm, &ref_norm, sizeof norm) == 0);
            CHECK(std::memcmp(ps.value.data(), ref_value.data(), n * sizeof(float)) == 0);
            CHECK(std::memcmp(ps.grad.data(), ref_grad.data(), n * sizeof(float)) == 0);
        }
    }
    set_threads(0);
}

TEST_CASE("optim: clip_grad_norm returns the norm before clipping and scales to max_norm") {
    Tensor a, b;
    ParamSet ps;
    ps.add(a, "a", {2});
    ps.add(b, "b", {1});
    ps.allocate();
    a.grad[0] = 3.0f, a.grad[1] = 0.0f, b.grad[0] = 4.0f;  // norm 5
    CHECK(clip_grad_norm(ps, 10.0f) == doctest::Approx(5.0f));
    CHECK(a.grad[0] == 3.0f);  // below max_norm: untouched
    CHECK(b.grad[0] == 4.0f);
    CHECK(clip_grad_norm(ps, 1.0f) == doctest::Approx(5.0f));
    CHECK(a.grad[0] == doctest::Approx(0.6f).epsilon(1e-6));  // 3 * 1/5
    CHECK(b.grad[0] == doctest::Approx(0.8f).epsilon(1e-6));
    CHECK(clip_grad_norm(ps, 1.0f) == doctest::Approx(1.0f).epsilon(1e-5));  // now at the limit

    b.grad[0] = INFINITY;  // non-finite: reported, gradients left alone
    CHECK(std::isinf(clip_grad_norm(ps, 1.0f)));
    CHECK(a.grad[0] == doctest::Approx(0.6f).epsilon(1e-6));

    auto fx = load_fixture("optim.txt");
    TwoParams p(fx);
    p.set_grad(fx, 1);
    float norm = clip_grad_norm(p.ps, 1.0f);
    CHECK(norm == doctest::Approx(get(fx, "clip.norm").v[0]).epsilon(1e-6));
    CHECK(norm > 1.5f);  // the fixture really clips
    CHECK(max_abs_diff(p.w.grad, get(fx, "clip.w").v.data(), 12) < 1e-6);
    CHECK(max_abs_diff(p.b.grad, get(fx, "clip.b").v.data(), 5) < 1e-6);
}

// ---- schedules -------------------------------------------------------------------------------

TEST_CASE("schedule: StepLR, Cosine, Warmup, WarmupCosine, Noam at hand-computed steps") {
    StepLR st{1.0f, 10, 0.5f};
    CHECK(st.lr(0) == 1.0f);
    CHECK(st.lr(9) == 1.0f);
    CHECK(st.lr(10) == 0.5f);
    CHECK(st.lr(25) == 0.25f);

    Cosine cos{1.0f, 0.1f, 100};
    CHECK(cos.lr(0) == doctest::Approx(1.0));
    CHECK(cos.lr(50) == doctest::Approx(0.55));  // 0.1 + 0.9 * (1 + cos(pi/2)) / 2
    CHECK(cos.lr(25) == doctest::Approx(0.1 + 0.45 * (1 + std::sqrt(0.5))));  // cos(pi/4)
    CHECK(cos.lr(100) == doctest::Approx(0.1));
    CHECK(cos.lr(1000) == doctest::Approx(0.1));  // flat after total

    Warmup wu{4};
    CHECK(wu.lr(0, 2.0f) == doctest::Approx(0.5));  // 2 * 1/4
    CHECK(wu.lr(3, 2.0f) == doctest::Approx(2.0));  // 2 * 4/4
    CHECK(wu.lr(7, 3.0f) == 3.0f);                  // after warm-up: the wrapped value

    WarmupCosine wc{1.0f, 0.0f, 10, 110};
    CHECK(wc.lr(0) == doctest::Approx(0.1));
    CHECK(wc.lr(9) == doctest::Approx(1.0));
    CHECK(wc.lr(10) == doctest::Approx(1.0));  // cosine starts at the top
    CHECK(wc.lr(60) == doctest::Approx(0.5));  // half way through the decay
    CHECK(wc.lr(110) == doctest::Approx(0.0));

    Noam noam{64, 100, 2.0f};  // 2 / 8 * min(n^-0.5, n / 1000)
    CHECK(noam.lr(0) == doctest::Approx(0.25 * 1.0 / 1000));
    CHECK(noam.lr(99) == doctest::Approx(0.25 * 0.1));    // the peak, n = warmup: both terms 0.1
    CHECK(noam.lr(399) == doctest::Approx(0.25 * 0.05));  // n = 400: 1/sqrt(400)
    CHECK(noam.lr(98) < noam.lr(99));
    CHECK(noam.lr(100) < noam.lr(99));
}

TEST_CASE("schedule: ReduceOnPlateau lowers lr after patience bad epochs, down to min_lr") {
    ReduceOnPlateau rp;
    rp.lr = 1.0f, rp.factor = 0.5f, rp.patience = 2, rp.min_lr = 0.2f;
    CHECK_FALSE(rp.observe(1.0f));   // first value: best
    CHECK_FALSE(rp.observe(0.9f));   // better
    CHECK_FALSE(rp.observe(0.95f));  // bad 1
    CHECK_FALSE(rp.observe(0.9f));   // bad 2 (equal is not better)
    CHECK(rp.lr == 1.0f);
    CHECK(rp.observe(0.91f));  // bad 3 > patience: reduce
    CHECK(rp.lr == 0.5f);
    CHECK(rp.bad == 0);
    CHECK_FALSE(rp.observe(0.8f));  // better: resets
    CHECK_FALSE(rp.observe(0.8f));
    CHECK_FALSE(rp.observe(0.8f));
    CHECK(rp.observe(0.8f));
    CHECK(rp.lr == 0.25f);
    for (int i = 0; i < 3; i++) rp.observe(0.8f);
    CHECK(rp.lr == 0.2f);                                       // clamped at min_lr
    for (int i = 0; i < 3; i++) CHECK_FALSE(rp.observe(0.8f));  // at min_lr: never "reduces" again
    CHECK(rp.lr == 0.2f);

    ReduceOnPlateau acc;  // mode Max: accuracy should go up
    acc.mode = ReduceOnPlateau::Max, acc.lr = 1.0f, acc.factor = 0.1f, acc.patience = 0;
    CHECK_FALSE(acc.observe(0.5f));
    CHECK_FALSE(acc.observe(0.6f));
    CHECK(acc.observe(0.55f));  // patience 0: first bad epoch reduces
    CHECK(acc.lr == doctest::Approx(0.1f));
    CHECK(acc.observe(NAN));  // NaN is never an improvement
}
