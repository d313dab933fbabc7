// Chapter 00's tests: the model's gradient, a training threshold, determinism, resume.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "chapters/00_foundations/mlp.hpp"
#include "chapters/00_foundations/train.hpp"
#include "common/data/data_find.hpp"
#include "common/core/error.hpp"
#include "common/data/idx.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace ch00;

// A small slice of Fashion-MNIST (Debian's dataset-fashion-mnist, installed by make).
static const ImageSet& fashion_train() {
    static ImageSet s = [] {
        std::vector<std::string> looked;
        std::string dir = find_dataset("fashion-mnist", "", &looked);
        REQUIRE_MESSAGE(!dir.empty(), "Fashion-MNIST not found: run data_tools/install_deps.sh");
        return load_mnist_dir(dir, true, "fashion-mnist");
    }();
    return s;
}
static ImageSet slice(const ImageSet& src, int first, int n) {
    ImageSet out = src;
    size_t D = (size_t)src.rows * src.cols;
    out.count = n;
    out.pixels.assign(src.pixels.begin() + first * D, src.pixels.begin() + (first + n) * D);
    out.labels.assign(src.labels.begin() + first, src.labels.begin() + first + n);
    return out;
}

TEST_CASE("ch00: the forward pass of a hand-built MLP (evaluation and dropout in training)") {
    Rng rng(1);
    MLPConfig cfg;
    cfg.D = 2, cfg.H = 2, cfg.V = 2, cfg.dropout = 0.5f;
    MLP m;
    mlp_init(m, cfg, rng);
    const float W1[] = {1, -1, 0.5f, 2}, b1[] = {0, -1}, W2[] = {1, 2, -1, 1}, b2[] = {0.5f, 0};
    std::copy(W1, W1 + 4, m.W1.data), std::copy(b1, b1 + 2, m.b1.data);
    std::copy(W2, W2 + 4, m.W2.data), std::copy(b2, b2 + 2, m.b2.data);
    const float x[] = {1, 2, -1, 0};  // (B=2, D=2)
    const int y[] = {1, 0};
    MLPActs a;
    a.resize(2, cfg);
    // image 0: h1 = (1−2+0, 0.5+4−1) = (−1, 3.5), a1 = (0, 3.5), logits = (0+7+0.5, 0+3.5+0) = (7.5, 3.5)
    // image 1: h1 = (−1, −1.5), a1 = (0, 0), logits = b2 = (0.5, 0)
    const double loss0 = std::log1p(std::exp(4.0)), loss1 = std::log1p(std::exp(-0.5));
    CHECK(mlp_forward(m, a, x, y, 2, rng, /*training=*/false) == doctest::Approx((loss0 + loss1) / 2).epsilon(1e-5));
    const float h1[] = {-1, 3.5f, -1, -1.5f}, a1[] = {0, 3.5f, 0, 0}, logits[] = {7.5f, 3.5f, 0.5f, 0};
    for (int i = 0; i < 4; i++) {
        CHECK(a.h1[i] == h1[i]);
        CHECK(a.a1[i] == a1[i]);
        CHECK(a.logits[i] == logits[i]);
    }
    CHECK(a.probs[1] == doctest::Approx(1.0 / (1.0 + std::exp(4.0))).epsilon(1e-5));
    CHECK(a.probs[2] == doctest::Approx(1.0 / (1.0 + std::exp(-0.5))).epsilon(1e-5));
    CHECK(a.d1[1] == 3.5f);  // evaluation: no dropout
    // training: each hidden unit of a wider layer is either dropped (0) or kept and scaled by 1/(1−p)
    MLPConfig wide = cfg;
    wide.H = 64;
    MLP w;
    mlp_init(w, wide, rng);
    MLPActs aw;
    aw.resize(2, wide);
    mlp_forward(w, aw, x, y, 2, rng, /*training=*/true);
    int dropped = 0, kept = 0;
    for (int i = 0; i < 2 * wide.H; i++) {
        if (aw.a1[i] == 0.0f) continue;
        if (aw.d1[i] == 0.0f) dropped++;
        else {
            CHECK(aw.d1[i] == doctest::Approx(aw.a1[i] / (1.0f - wide.dropout)));
            kept++;
        }
    }
    CHECK(dropped > 0);
    CHECK(kept > 0);
    CHECK(aw.training);
}

TEST_CASE("ch00: the whole model's backward matches finite differences (dropout on, fixed mask)") {
    Rng rng(3);
    MLPConfig cfg;
    cfg.D = 12, cfg.H = 9, cfg.V = 4, cfg.dropout = 0.25f;
    MLP m;
    mlp_init(m, cfg, rng);
    const int B = 5;
    Buf x = testing::random_buf((size_t)B * cfg.D, rng);
    std::vector<int> y = {0, 3, 1, 2, 3};
    MLPActs a;
    a.resize(B, cfg);
    auto loss = [&]() -> double {
        Rng mask_rng(99);  // the same dropout mask on every call
        return mlp_forward(m, a, x.data(), y.data(), B, mask_rng, true);
    };
    {  // a first step on other labels leaves the activations' gradients dirty: backward must clear them
        const std::vector<int> other = {1, 1, 0, 3, 2};
        Rng r(5);
        mlp_forward(m, a, x.data(), other.data(), B, r, true);
        mlp_backward(m, a, x.data(), other.data(), B);
    }
    loss();
    m.params.zero_grad();
    mlp_backward(m, a, x.data(), y.data(), B);
    Buf analytic = m.params.grad;
    for (const auto& e : m.params.entries())
        testing::check_gradient(e.name, loss, m.params.data(e), analytic.data() + e.offset, e.size);
    // and in evaluation mode (no dropout: the backward must not scale by 1/(1-p))
    auto loss_eval = [&]() -> double {
        Rng unused(0);
        return mlp_forward(m, a, x.data(), y.data(), B, unused, false);
    };
    loss_eval();
    m.params.zero_grad();
    mlp_backward(m, a, x.data(), y.data(), B);
    analytic = m.params.grad;
    for (const auto& e : m.params.entries())
        testing::check_gradient(e.name + " (evaluation)", loss_eval, m.params.data(e), analytic.data() + e.offset, e.size);
}

TEST_CASE("ch00: three epochs on 6,000 Fashion-MNIST images reach 80% on 2,000 held-out ones") {
    const ImageSet& full = fashion_train();
    ImageSet train = slice(full, 0, 6000), held = slice(full, 50000, 2000);
    Rng rng(1);
    MLPConfig cfg;
    cfg.H = 256;
    MLP m;
    mlp_init(m, cfg, rng);
    Adam opt = make_adam(m.params, 2e-3f);
    for (int e = 0; e < 3; e++) train_epoch(m, opt, train, 64, rng, [](long) { return 2e-3f; }, nullptr);
    EpochStats st = evaluate(m, held, 500);
    MESSAGE("held-out accuracy " << st.acc);
    CHECK(st.acc >= 0.80);
}

// The training step written out by hand: the expected result of train_epoch.
TEST_CASE("ch00: one epoch is forward, zero grads, backward, step over every batch of a shuffled order") {
    MLPConfig cfg;
    cfg.H = 16;
    auto lr = [](long step) { return 1e-3f * (1.0f + (float)step); };  // a different rate each step
    for (int n : {9, 8}) {  // 9 = 4 + 4 + 1: a short last batch; 8 = 4 + 4: none
        CAPTURE(n);
        const ImageSet train = slice(fashion_train(), 0, n);
        Rng init_a(4), init_b(4);
        MLP a, b;
        mlp_init(a, cfg, init_a), mlp_init(b, cfg, init_b);
        Adam opt_a = make_adam(a.params, 1e-3f), opt_b = make_adam(b.params, 1e-3f);
        Rng rng_a(7), rng_b(7);
        const EpochStats st = train_epoch(a, opt_a, train, 4, rng_a, lr, nullptr);
        // by hand
        const std::vector<int> order = shuffled_order(n, rng_b);
        MLPActs acts;
        acts.resize(4, cfg);
        Buf x((size_t)4 * cfg.D);
        std::vector<int> y(4);
        double loss_sum = 0;
        int steps = 0;
        for (int i0 = 0; i0 < n; i0 += 4, steps++) {
            const int B = std::min(4, n - i0);
            gather_batch(x.data(), y.data(), train, order, i0, B);
            loss_sum += (double)mlp_forward(b, acts, x.data(), y.data(), B, rng_b, true) * B;
            b.params.zero_grad();
            mlp_backward(b, acts, x.data(), y.data(), B);
            opt_b.lr = lr(opt_b.t);
            opt_b.step(b.params);
        }
        CHECK(opt_a.t == steps);
        CHECK(st.loss == doctest::Approx(loss_sum / n).epsilon(1e-6));
        CHECK(std::memcmp(a.params.value.data(), b.params.value.data(), a.params.value.size() * sizeof(float)) == 0);
    }
}

// Train one epoch on `threads` threads and return the loss and the final weights.
static std::pair<double, Buf> one_epoch(int threads, const ImageSet& train) {
    set_threads(threads);
    Rng rng(5);
    MLPConfig cfg;
    cfg.H = 96;
    MLP m;
    mlp_init(m, cfg, rng);
    Adam opt = make_adam(m.params, 1e-3f);
    EpochStats st = train_epoch(m, opt, train, 50, rng, [](long) { return 1e-3f; }, nullptr);
    set_threads(0);
    return {st.loss, m.params.value};
}

TEST_CASE("ch00: bit-identical losses and weights on 1, 2 and 3 threads") {
    ImageSet train = slice(fashion_train(), 0, 1500);
    auto r1 = one_epoch(1, train), r2 = one_epoch(2, train), r3 = one_epoch(3, train);
    CHECK(r1.first == r2.first);
    CHECK(r1.first == r3.first);
    REQUIRE(r1.second.size() == r2.second.size());
    CHECK(std::memcmp(r1.second.data(), r2.second.data(), r1.second.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(r1.second.data(), r3.second.data(), r1.second.size() * sizeof(float)) == 0);
}

TEST_CASE("ch00: save -> load -> continue equals an uninterrupted run") {
    ImageSet train = slice(fashion_train(), 0, 1000);
    MLPConfig cfg;
    cfg.H = 64;
    auto lr = [](long step) { return 1e-3f * (1.0f - step / 100.0f); };
    // uninterrupted: two epochs
    Rng rng_a(8);
    MLP a;
    mlp_init(a, cfg, rng_a);
    Adam opt_a = make_adam(a.params, 1e-3f);
    for (int e = 0; e < 2; e++) train_epoch(a, opt_a, train, 50, rng_a, lr, nullptr);
    // interrupted: one epoch, save, a fresh model (different init) loads it, one more epoch
    std::string path = "test_ch00_resume.ckpt";
    {
        Rng rng_b(8);
        MLP b;
        mlp_init(b, cfg, rng_b);
        Adam opt_b = make_adam(b.params, 1e-3f);
        train_epoch(b, opt_b, train, 50, rng_b, lr, nullptr);
        save_training_state(path, b, opt_b, rng_b, 1);
    }
    Rng rng_c(12345);
    MLP c;
    mlp_init(c, cfg, rng_c);
    Adam opt_c = make_adam(c.params, 1e-3f);
    CHECK(load_training_state(path, c, opt_c, rng_c) == 1);
    train_epoch(c, opt_c, train, 50, rng_c, lr, nullptr);
    std::remove(path.c_str());
    CHECK(std::memcmp(a.params.value.data(), c.params.value.data(), a.params.value.size() * sizeof(float)) == 0);

    // a model of another shape refuses the checkpoint and keeps its weights
    save_training_state(path, a, opt_a, rng_a, 2);
    MLPConfig other = cfg;
    other.H = 32;
    Rng rng_d(1);
    MLP d;
    mlp_init(d, other, rng_d);
    Adam opt_d = make_adam(d.params, 1e-3f);
    Buf before = d.params.value;
    CHECK_THROWS_AS(load_training_state(path, d, opt_d, rng_d), Error);
    CHECK(std::memcmp(before.data(), d.params.value.data(), before.size() * sizeof(float)) == 0);
    std::remove(path.c_str());
}
