// Chapter 08's models: the whole ViT's backward (and the CNN baseline's) against finite differences, the
// random shifts, a short training run, determinism on 1, 2 and 3 threads, and save → load → continue.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "chapters/08_vision_transformer/train.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/data/synth_images.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace ch08;
using attn::testing::check_gradient;

namespace {

// A tiny ViT: 8×8 images in 4×4 patches (4 patches + the class token), width 8, 2 heads, 2 layers.
ViTConfig tiny_vit(float dropout = 0.0f) {
    ViTConfig c;
    c.H = 8, c.P = 4, c.C = 8, c.L = 2, c.NH = 2, c.F = 12, c.V = 3, c.dropout = dropout;
    return c;
}

// The sign of every relu input of every feed-forward net: a finite-difference step that flips one
// measured a slope across a kink, and the loss says NaN (the check skips it).
std::vector<int> relu_signs(const ViTActs& a, const ViTConfig& c, int B) {
    std::vector<int> s;
    for (size_t i = 0; i < (size_t)B * c.S * c.H * c.H; i++) s.push_back(a.spre[i] > 0);  // the hybrid's stem
    for (const ch06::EncoderCache& k : a.caches)
        for (size_t i = 0; i < (size_t)B * c.T() * c.F; i++) s.push_back(k.f1[i] > 0);
    return s;
}

struct OneThread {  // model-sized tests on one thread (thread counts are the determinism test's business)
    OneThread() { set_threads(1); }
    ~OneThread() { set_threads(0); }
};

// The whole model's backward against finite differences, every parameter; then evaluation mode.
void check_whole_vit(const ViTConfig& c) {
    OneThread one;
    Rng rng(8);
    ViT m;
    vit_init(m, c, rng);
    // Larger class token and positions than at init (0 and 0.02), so their gradients are not lost in noise.
    testing::fill_uniform(m.cls.data, m.cls.size, rng, -0.5f, 0.5f);
    testing::fill_uniform(m.pos.data, m.pos.size, rng, -0.5f, 0.5f);
    // The stem's relu inputs mostly away from 0 (a finite-difference step across a kink is skipped), both
    // signs kept.
    if (c.S > 0) testing::fill_uniform(m.bs.data, m.bs.size, rng, -0.6f, 0.6f);
    const int B = 3;
    Buf x = testing::random_buf((size_t)B * c.H * c.H, rng, 0.0f, 1.0f);
    std::vector<int> y = {0, 2, 1};
    ViTActs a;
    Rng unused(0);
    vit_forward(m, a, x.data(), y.data(), B, unused, /*training=*/true);  // dropout 0: the same as eval
    const std::vector<int> k0 = relu_signs(a, c, B);
    // without a stem the pixels get no gradient: the patches' gradient buffer is left alone (7s stay)
    if (c.S == 0) std::fill(a.dxp.begin(), a.dxp.end(), 7.0f);
    m.params.zero_grad();
    vit_backward(m, a, y.data(), B);
    if (c.S == 0) {
        size_t written = 0;
        for (float v : a.dxp) written += v != 7.0f;
        CHECK(written == 0);
    }
    Buf analytic = m.params.grad;
    auto loss = [&]() -> double {
        double L = vit_forward(m, a, x.data(), y.data(), B, unused, true);
        return relu_signs(a, c, B) == k0 ? L : NAN;
    };
    GradCheckOptions opt;
    opt.eps = 1e-3, opt.atol = 1e-4, opt.rtol = 2e-2, opt.max_checks = 48;
    size_t checked = 0, total = 0;
    for (const auto& e : m.params.entries()) {
        const bool b_k = e.name.size() > 3 && e.name.substr(e.name.size() - 3) == "b_k";  // softmax ignores it
        GradCheckOptions o = opt;
        o.allow_zero = b_k;
        check_gradient(e.name, loss, m.params.data(e), analytic.data() + e.offset, e.size, o);
        GradCheckResult r = gradcheck(loss, m.params.data(e), analytic.data() + e.offset, e.size, o);
        checked += r.checked, total += r.checked + r.skipped;
    }
    MESSAGE(checked << " of " << total << " elements checked (the rest crossed a relu kink)");
    CHECK(checked * 10 > total * 9);
    // in evaluation mode dropout does nothing, whatever its rate: the same gradients as with dropout 0
    m.cfg.dropout = 0.3f;
    vit_forward(m, a, x.data(), y.data(), B, unused, /*training=*/false);
    m.params.zero_grad();
    vit_backward(m, a, y.data(), B);
    size_t differ = 0;
    for (size_t i = 0; i < analytic.size(); i++)
        differ += !(std::fabs(m.params.grad[i] - analytic[i]) <= 1e-6f * (1 + std::fabs(analytic[i])));
    CHECK(differ == 0);
}

}  // namespace

TEST_CASE("ch08 model: the whole ViT's backward (dropout off) matches finite differences, every parameter") {
    check_whole_vit(tiny_vit());
}

TEST_CASE("ch08 model: the hybrid ViT with overlapping patches (stem, windows) matches finite differences") {
    ViTConfig c = tiny_vit();
    c.S = 2, c.K = 6;  // two 3x3 conv maps under 6x6 windows at stride 4: every pixel in up to 4 patches
    check_whole_vit(c);
}

TEST_CASE("ch08 model: a hybrid with a single stem map matches finite differences") {
    ViTConfig c = tiny_vit();
    c.S = 1;  // one 3x3 conv map under the usual 4x4 patches: the smallest stem is still a stem
    check_whole_vit(c);
}

TEST_CASE("ch08 model: the CNN baseline's backward matches finite differences") {
    OneThread one;
    Rng rng(4);
    CNNConfig c;
    c.H = 8, c.C1 = 3, c.C2 = 4, c.FC = 6, c.V = 3;
    CNN m;
    cnn_init(m, c, rng);
    for (Tensor* b : {&m.b1, &m.b2, &m.b3}) testing::fill_uniform(b->data, b->size, rng, 0.05f, 0.3f);
    const int B = 2;
    Buf x = testing::random_buf((size_t)B * 64, rng, 0.0f, 1.0f);
    std::vector<int> y = {1, 2};
    CNNActs a;
    cnn_forward(m, a, x.data(), y.data(), B);
    auto kinks = [&]() {  // relu signs and max-pool winners
        std::vector<int> k(a.a1.begin(), a.a1.end());
        k.insert(k.end(), a.a2.begin(), a.a2.end());
        for (const Buf* v : {&a.c1, &a.c2, &a.f})
            for (float f : *v) k.push_back(f > 0);
        return k;
    };
    const std::vector<int> k0 = kinks();
    m.params.zero_grad();
    cnn_backward(m, a, x.data(), y.data(), B);
    Buf analytic = m.params.grad;
    auto loss = [&]() -> double {
        double L = cnn_forward(m, a, x.data(), y.data(), B);
        return kinks() == k0 ? L : NAN;
    };
    GradCheckOptions opt;
    opt.eps = 1e-3, opt.atol = 1e-3, opt.max_checks = 40;
    for (const auto& e : m.params.entries())
        check_gradient(e.name, loss, m.params.data(e), analytic.data() + e.offset, e.size, opt);
}

TEST_CASE("ch08 shifts: an image moves by (dx, dy) with black coming in; shift 0 draws nothing") {
    Rng rng(5);
    const int H = 6, B = 40, S = 2;
    Buf x((size_t)B * H * H, 0.0f), scratch;
    for (int b = 0; b < B; b++) x[(size_t)b * H * H + 2 * H + 3] = 1.0f;  // one lit pixel at (2, 3)
    Rng before = rng;
    random_shift(x.data(), B, H, 0, rng, scratch);
    CHECK(rng.next_u64() == before.next_u64());  // no draws at shift 0
    random_shift(x.data(), B, H, S, rng, scratch);
    int moved = 0;
    for (int b = 0; b < B; b++) {
        float sum = 0;
        int r = -1, c = -1;
        for (int i = 0; i < H * H; i++)
            if (x[(size_t)b * H * H + i] > 0) sum += x[(size_t)b * H * H + i], r = i / H, c = i % H;
        CHECK(sum == 1.0f);  // (2,3) ± 2 stays inside a 6×6 image: nothing lost, nothing added
        CHECK(std::abs(r - 2) <= S);
        CHECK(std::abs(c - 3) <= S);
        moved += r != 2 || c != 3;
    }
    CHECK(moved > B / 2);
}

TEST_CASE("ch08 model: three epochs of a small ViT on 2,000 synthetic digits reach 80% on 1,000 held-out ones") {
    OneThread one;
    ImageSet train = synth_digits(2000, 1), held = synth_digits(1000, 2);
    Rng rng(3);
    ViTConfig c;  // the chapter's patches (7×7, 16 + 1 tokens), a narrower and shallower encoder
    c.C = 32, c.L = 2, c.NH = 4, c.F = 64, c.dropout = 0.0f;
    ViT m;
    vit_init(m, c, rng);
    Adam opt = make_adamw(m.params, 2e-3f, 0.05f);
    StepOptions so;
    so.batch = 32;
    for (int e = 0; e < 3; e++) train_epoch(m, opt, train, so, rng, [](long) { return 2e-3f; }, nullptr);
    EpochStats st = evaluate(m, held, 500);
    MESSAGE("held-out accuracy " << st.acc);
    CHECK(st.acc >= 0.80);
}

namespace {

// A few steps of the tiny ViT with dropout and shifts on `threads` threads: the loss and the weights.
std::pair<double, Buf> a_few_steps(int threads, const ImageSet& train) {
    set_threads(threads);
    Rng rng(9);
    ViTConfig c = tiny_vit(0.1f);
    c.H = 28, c.P = 7, c.C = 16, c.V = 10;
    ViT m;
    vit_init(m, c, rng);
    Adam opt = make_adamw(m.params, 2e-3f, 0.05f);
    StepOptions so;
    so.batch = 25, so.shift = 2;
    EpochStats st = train_epoch(m, opt, train, so, rng, [](long) { return 2e-3f; }, nullptr);
    set_threads(0);
    return {st.loss, m.params.value};
}

}  // namespace

TEST_CASE("ch08 model: bit-identical losses and weights on 1, 2 and 3 threads (dropout and shifts on)") {
    ImageSet train = synth_digits(100, 4);
    auto r1 = a_few_steps(1, train), r2 = a_few_steps(2, train), r3 = a_few_steps(3, train);
    CHECK(r1.first == r2.first);
    CHECK(r1.first == r3.first);
    REQUIRE(r1.second.size() == r2.second.size());
    CHECK(std::memcmp(r1.second.data(), r2.second.data(), r1.second.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(r1.second.data(), r3.second.data(), r1.second.size() * sizeof(float)) == 0);
}

TEST_CASE("ch08 model: save -> load -> continue equals an uninterrupted run; another config refuses it") {
    OneThread one;
    ImageSet train = synth_digits(120, 5);
    ViTConfig c = tiny_vit(0.1f);
    c.H = 28, c.P = 7, c.C = 16, c.V = 10;
    StepOptions so;
    so.batch = 30, so.shift = 1;
    auto lr = [](long step) { return 2e-3f * (1.0f - step / 20.0f); };
    Rng rng_a(8);
    ViT a;
    vit_init(a, c, rng_a);
    Adam opt_a = make_adamw(a.params, 2e-3f, 0.05f);
    for (int e = 0; e < 2; e++) train_epoch(a, opt_a, train, so, rng_a, lr, nullptr);
    const std::string path = "test_ch08_resume.ckpt";
    {
        Rng rng_b(8);
        ViT b;
        vit_init(b, c, rng_b);
        Adam opt_b = make_adamw(b.params, 2e-3f, 0.05f);
        train_epoch(b, opt_b, train, so, rng_b, lr, nullptr);
        save_checkpoint(path, b, opt_b, rng_b, 1);
    }
    Rng rng_c(12345);
    ViT r;
    vit_init(r, c, rng_c);
    Adam opt_c = make_adamw(r.params, 2e-3f, 0.05f);
    CHECK(load_checkpoint(path, r, opt_c, rng_c) == 1);
    train_epoch(r, opt_c, train, so, rng_c, lr, nullptr);
    CHECK(std::memcmp(a.params.value.data(), r.params.value.data(), a.params.value.size() * sizeof(float)) == 0);

    ViTConfig other = c;
    other.L = 1;  // one layer fewer
    Rng rng_d(1);
    ViT d;
    vit_init(d, other, rng_d);
    Adam opt_d = make_adamw(d.params, 2e-3f, 0.05f);
    Buf before = d.params.value;
    CHECK_THROWS_AS(load_checkpoint(path, d, opt_d, rng_d), Error);
    CHECK(std::memcmp(before.data(), d.params.value.data(), before.size() * sizeof(float)) == 0);
    std::remove(path.c_str());
}

TEST_CASE("ch08 flips: --flip auto mirrors Fashion-MNIST only; a gathered batch is mirrored about half the time") {
    CHECK(flip_wanted("auto", "fashion-mnist"));
    CHECK_FALSE(flip_wanted("auto", "mnist"));
    CHECK_FALSE(flip_wanted("auto", "synthetic"));
    CHECK(flip_wanted("on", "mnist"));
    CHECK_FALSE(flip_wanted("off", "fashion-mnist"));
    const int H = 4, n = 64;
    ImageSet train;
    train.rows = train.cols = H, train.count = n, train.num_classes = 2;
    train.pixels.assign((size_t)n * H * H, 0.0f), train.labels.assign(n, 0);
    for (int i = 0; i < n; i++) train.pixels[(size_t)i * H * H + 1 * H + 0] = 1.0f;  // one lit pixel at (1, 0)
    std::vector<int> order(n);
    for (int i = 0; i < n; i++) order[i] = i;
    StepOptions so;
    so.batch = n;
    Rng rng(11);
    Batch bt;
    Rng before = rng;
    bt.next(train, order, 0, so, rng);  // flip off, shift 0: the images as they are, no draws
    CHECK(rng.next_u64() == before.next_u64());
    for (int b = 0; b < n; b++) CHECK(bt.x[(size_t)b * H * H + 1 * H + 0] == 1.0f);
    so.flip = true;
    bt.next(train, order, 0, so, rng);
    int mirrored = 0;
    for (int b = 0; b < n; b++) {
        const float* img = bt.x.data() + (size_t)b * H * H;
        const bool m = img[1 * H + (H - 1)] == 1.0f;  // (1, 0) mirrored is (1, H − 1)
        CHECK(img[1 * H + 0] + img[1 * H + (H - 1)] == 1.0f);  // one or the other, never both, nothing else
        mirrored += m;
    }
    CHECK(mirrored > n / 4);
    CHECK(mirrored < 3 * n / 4);
}

TEST_CASE("ch08 model: with label smoothing the backward matches finite differences; evaluation's loss is plain") {
    OneThread one;
    Rng rng(9);
    ViTConfig c = tiny_vit();
    c.smoothing = 0.2f;
    ViT m;
    vit_init(m, c, rng);
    const int B = 3;
    Buf x = testing::random_buf((size_t)B * c.H * c.H, rng, 0.0f, 1.0f);
    std::vector<int> y = {2, 0, 1};
    ViTActs a;
    Rng unused(0);
    const float smoothed = vit_forward(m, a, x.data(), y.data(), B, unused, /*training=*/true);
    m.params.zero_grad();
    vit_backward(m, a, y.data(), B);
    Buf analytic = m.params.grad;
    // Through the head only (the encoder's backward is the test above's): its output and hidden layers.
    auto loss = [&]() -> double { return vit_forward(m, a, x.data(), y.data(), B, unused, true); };
    GradCheckOptions opt;
    opt.eps = 1e-3, opt.atol = 1e-4, opt.rtol = 2e-2, opt.max_checks = 48;
    for (const auto& e : m.params.entries())
        if (e.name.rfind("head.", 0) == 0)
            check_gradient(e.name, loss, m.params.data(e), analytic.data() + e.offset, e.size, opt);
    // The plain loss −mean log p_y, from the evaluation forward's probabilities.
    const float plain = vit_forward(m, a, x.data(), y.data(), B, unused, /*training=*/false);
    double nll = 0;
    for (int b = 0; b < B; b++) nll -= std::log((double)a.probs[(size_t)b * c.V + y[b]]);
    CHECK(plain == doctest::Approx(nll / B).epsilon(1e-5));
    CHECK(smoothed != doctest::Approx(plain).epsilon(1e-4));  // the training loss is the smoothed one
}
