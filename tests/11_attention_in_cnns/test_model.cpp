// Chapter 11's whole models: the gradient of every parameter of the plain CNN, the CNN + SE and the
// CNN + CBAM (one and two conv blocks per stage); the three models share their conv and fc weights at
// the start; bit-identical training on 1, 2 and 3 threads; save -> load -> continue equal to an
// uninterrupted run (batch norm's running statistics included); a short training run.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "chapters/11_attention_in_cnns/cnn_model.hpp"
#include "chapters/11_attention_in_cnns/train.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/data/synth_images.hpp"
#include "tests/gradcheck.hpp"
#include "tests/temp_files.hpp"

using namespace attn;
using namespace ch11;
using attn::testing::check_gradient;

namespace {

struct OneThread {
    OneThread() { set_threads(1); }
    ~OneThread() { set_threads(0); }
};

// A tiny model: 8×8 images (stages of side 8, 4, 2), 3, 4 and 5 channels, 3 classes.
CNNConfig tiny_config(Attention kind, int convs) {
    CNNConfig c;
    c.attention = kind, c.H = 8, c.convs = convs;
    c.width[0] = 3, c.width[1] = 4, c.width[2] = 5;
    c.reduction = 2, c.spatial_k = 3, c.V = 3;
    return c;
}

// Everything at which the model is not differentiable: the sign of every relu input, the winner of
// every max (pooling, CBAM's max descriptors). A step that changes any of them: the loss says NaN.
std::vector<int> kinks(const CNNActs& a, const CNNConfig& c, int B) {
    std::vector<int> k;
    for (int s = 0; s < kStages; s++) {
        const StageActs& t = a.st[s];
        const size_t n = (size_t)B * c.width[s] * c.side(s) * c.side(s);
        for (int j = 0; j < c.convs; j++)
            for (size_t i = 0; i < n; i++) k.push_back(t.blk[j].act[i] > 0);  // (> 0 where its input is)
        k.insert(k.end(), t.argmax.begin(), t.argmax.end());
        if (c.attention == Attention::SE)
            for (size_t i = 0; i < (size_t)B * c.Cr(s); i++) k.push_back(t.se.h[i] > 0);
        if (c.attention == Attention::CBAM) {
            for (size_t i = 0; i < (size_t)2 * B * c.Cr(s); i++) k.push_back(t.ca.h[i] > 0);
            k.insert(k.end(), t.ca.argmax.begin(), t.ca.argmax.end());
            k.insert(k.end(), t.sa.argmax.begin(), t.sa.argmax.end());
        }
    }
    return k;
}

void check_whole_model(Attention kind, int convs, bool gap_head = false, float smoothing = 0.0f) {
    OneThread one;
    Rng rng(31 + (int)kind * 3 + convs);
    CNNConfig c = tiny_config(kind, convs);
    c.gap_head = gap_head, c.smoothing = smoothing;
    CNN m;
    cnn_init(m, c, rng);
    // Positive attention biases keep this tiny net's bottleneck relus alive, so every weight gets a
    // gradient; γ, β away from their (1, 0) start so that their gradients are generic.
    for (const auto& e : m.params.entries()) {
        const bool bias = e.name.find("fc1.bias") != std::string::npos;
        const bool bn = e.name.find(".bn.") != std::string::npos;
        if (bias) testing::fill_uniform(m.params.data(e), e.size, rng, 0.2f, 0.5f);
        if (bn) testing::fill_uniform(m.params.data(e), e.size, rng, 0.5f, 1.2f);
    }
    const int B = 4;
    Buf x = testing::random_buf((size_t)B * c.H * c.H, rng, 0.0f, 1.0f);
    std::vector<int> y = {0, 2, 1, 2};
    CNNActs a;
    a.resize(B, c);
    cnn_forward(m, a, x.data(), y.data(), B, true);
    const std::vector<int> k0 = kinks(a, c, B);
    m.params.zero_grad();
    cnn_backward(m, a, x.data(), y.data(), B);
    Buf analytic = m.params.grad;
    auto loss = [&]() -> double {
        double L = cnn_forward(m, a, x.data(), y.data(), B, true);
        return kinks(a, c, B) == k0 ? L : NAN;
    };
    GradCheckOptions opt;
    opt.eps = 1e-3, opt.atol = 1e-3, opt.max_checks = 30;
    size_t checked = 0, total = 0;
    for (const auto& e : m.params.entries()) {
        check_gradient(e.name, loss, m.params.data(e), analytic.data() + e.offset, e.size, opt);
        GradCheckResult r = gradcheck(loss, m.params.data(e), analytic.data() + e.offset, e.size, opt);
        checked += r.checked, total += r.checked + r.skipped;
    }
    MESSAGE(std::string(attention_key(kind)) << ", smoothing " << smoothing << ", " << convs << " conv(s) per stage: " << checked << " of " << total
                                << " elements checked (the rest crossed a kink)");
    CHECK(checked * 2 > total);  // the kink filter must not hide most of the check
}

}  // namespace

TEST_CASE("ch11 model: the plain CNN's backward matches finite differences (flatten and average-pool heads)") {
    check_whole_model(Attention::None, 1, true);
    check_whole_model(Attention::None, 1);
    check_whole_model(Attention::None, 2);
}
TEST_CASE("ch11 model: the CNN + SE's backward matches finite differences") {
    check_whole_model(Attention::SE, 1);
    check_whole_model(Attention::SE, 1, true);
    check_whole_model(Attention::SE, 2);
}
TEST_CASE("ch11 model: the CNN + CBAM's backward matches finite differences") {
    check_whole_model(Attention::CBAM, 1);
    check_whole_model(Attention::CBAM, 1, true);
    check_whole_model(Attention::CBAM, 2);
}

TEST_CASE("ch11 model: with label smoothing the backward matches finite differences; evaluation's loss is plain") {
    check_whole_model(Attention::CBAM, 1, false, 0.2f);
    check_whole_model(Attention::None, 1, true, 0.2f);
    OneThread one;
    Rng rng(5);
    CNNConfig c = tiny_config(Attention::SE, 1);
    CNN m;
    cnn_init(m, c, rng);
    const int B = 3;
    Buf x = testing::random_buf((size_t)B * c.H * c.H, rng, 0.0f, 1.0f);
    std::vector<int> y = {2, 0, 1};
    CNNActs a;
    a.resize(B, c);
    const float plain_train = cnn_forward(m, a, x.data(), y.data(), B, /*train=*/true);
    m.cfg.smoothing = 0.2f;
    const float smoothed = cnn_forward(m, a, x.data(), y.data(), B, /*train=*/true);
    // the smoothed loss by hand from the same probabilities: −Σ_b [(1 − ε) log p_b,y + (ε/V) Σ_j log p_b,j] / B
    double by_hand = 0;
    for (int b = 0; b < B; b++) {
        const float* p = a.probs.data() + (size_t)b * c.V;
        by_hand -= 0.8 * std::log((double)p[y[b]]);
        for (int j = 0; j < c.V; j++) by_hand -= 0.2 / c.V * std::log((double)p[j]);
    }
    CHECK(smoothed == doctest::Approx(by_hand / B).epsilon(1e-5));
    CHECK(smoothed != doctest::Approx(plain_train).epsilon(1e-4));  // the training loss is the smoothed one
    // Evaluation reports the plain −mean log p_y whatever the smoothing (from its own probabilities).
    const float evaluated = cnn_forward(m, a, x.data(), y.data(), B, /*train=*/false);
    double nll = 0;
    for (int b = 0; b < B; b++) nll -= std::log((double)a.probs[(size_t)b * c.V + y[b]]);
    CHECK(evaluated == doctest::Approx(nll / B).epsilon(1e-5));
}

TEST_CASE("ch11 model: the three models start from the same conv and fc weights") {
    CNNConfig c = tiny_config(Attention::None, 1);
    CNN plain, se, cbam;
    for (auto [m, kind] : {std::pair{&plain, Attention::None}, {&se, Attention::SE}, {&cbam, Attention::CBAM}}) {
        CNNConfig ck = c;
        ck.attention = kind;
        Rng rng(5);
        cnn_init(*m, ck, rng);
    }
    for (const auto& e : plain.params.entries()) {
        INFO(e.name);
        for (CNN* other : {&se, &cbam}) {
            const auto* o = other->params.find(e.name);
            REQUIRE(o);
            CHECK(std::memcmp(plain.params.data(e), other->params.data(*o), e.size * sizeof(float)) == 0);
        }
    }
    CHECK(se.params.find("stage0.se.fc1.weight"));
    CHECK(cbam.params.find("stage2.cbam.spatial.weight"));
}

TEST_CASE("ch11 model: evaluation mode uses the running statistics, so a prediction ignores its batch-mates") {
    OneThread one;
    Rng rng(6);
    CNNConfig c = tiny_config(Attention::CBAM, 1);
    CNN m;
    cnn_init(m, c, rng);
    const int B = 4, D = c.H * c.H;
    Buf x = testing::random_buf((size_t)B * D, rng, 0.0f, 1.0f);
    std::vector<int> y = {0, 1, 2, 0};
    CNNActs a;
    a.resize(B, c);
    for (int k = 0; k < 3; k++) cnn_forward(m, a, x.data(), y.data(), B, true);  // running stats move
    CHECK(m.stats.value[0] != 0.0f);
    cnn_forward(m, a, x.data(), y.data(), B, false);
    Buf p_all(a.probs.begin(), a.probs.begin() + (size_t)B * c.V);
    Buf stats = m.stats.value;
    cnn_forward(m, a, x.data() + D, y.data() + 1, 1, false);  // image 1 alone
    for (int v = 0; v < c.V; v++) CHECK(a.probs[v] == doctest::Approx(p_all[c.V + v]).epsilon(1e-5));
    CHECK(std::memcmp(stats.data(), m.stats.value.data(), stats.size() * sizeof(float)) == 0);  // eval: untouched
}

namespace {

ImageSet small_digits(int n, uint64_t seed) { return synth_digits(n, seed); }

CNNConfig small_config(Attention kind) {
    CNNConfig c;
    c.attention = kind;
    c.width[0] = 8, c.width[1] = 12, c.width[2] = 16;
    c.reduction = 4;
    return c;
}

// Train one epoch on `threads` threads; the loss, the weights and batch norm's running statistics.
struct Snapshot {
    double loss;
    Buf params, stats;
};
Snapshot a_few_steps(int threads, const ImageSet& train, Attention kind) {
    set_threads(threads);
    Rng rng(9);
    CNN m;
    cnn_init(m, small_config(kind), rng);
    Adam opt = make_adamw(m.params, 2e-3f, 1e-4f);
    Augment aug{2, true};
    EpochStats st = train_epoch(m, opt, train, 32, aug, 5.0f, rng, [](long) { return 2e-3f; }, nullptr);
    set_threads(0);
    return {st.loss, m.params.value, m.stats.value};
}

bool same_bits(const Buf& a, const Buf& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("ch11 model: bit-identical losses, weights and running statistics on 1, 2 and 3 threads") {
    ImageSet train = small_digits(96, 4);
    for (Attention kind : {Attention::None, Attention::SE, Attention::CBAM}) {
        INFO(attention_key(kind));
        Snapshot r1 = a_few_steps(1, train, kind), r2 = a_few_steps(2, train, kind), r3 = a_few_steps(3, train, kind);
        CHECK(r1.loss == r2.loss);
        CHECK(r1.loss == r3.loss);
        CHECK(same_bits(r1.params, r2.params));
        CHECK(same_bits(r1.params, r3.params));
        CHECK(same_bits(r1.stats, r2.stats));
        CHECK(same_bits(r1.stats, r3.stats));
    }
}

TEST_CASE("ch11 model: save -> load -> continue equals an uninterrupted run; another model refuses it") {
    OneThread one;
    ImageSet train = small_digits(96, 5);
    auto lr = [](long step) { return 2e-3f * (1.0f - step / 20.0f); };
    const Augment aug{2, false};
    const CNNConfig cfg = small_config(Attention::CBAM);
    Rng rng_a(8);
    CNN a;
    cnn_init(a, cfg, rng_a);
    Adam opt_a = make_adamw(a.params, 2e-3f, 1e-4f);
    for (int e = 0; e < 2; e++) train_epoch(a, opt_a, train, 32, aug, 5.0f, rng_a, lr, nullptr);
    const std::string path = testing::temp_path("11_attention_in_cnns", "resume.ckpt");
    {
        Rng rng_b(8);
        CNN b;
        cnn_init(b, cfg, rng_b);
        Adam opt_b = make_adamw(b.params, 2e-3f, 1e-4f);
        train_epoch(b, opt_b, train, 32, aug, 5.0f, rng_b, lr, nullptr);
        save_training_state(path, b, opt_b, rng_b, 1);
    }
    Rng rng_c(12345);
    CNN c;
    cnn_init(c, cfg, rng_c);
    Adam opt_c = make_adamw(c.params, 2e-3f, 1e-4f);
    CHECK(load_training_state(path, c, opt_c, rng_c) == 1);
    train_epoch(c, opt_c, train, 32, aug, 5.0f, rng_c, lr, nullptr);
    CHECK(same_bits(a.params.value, c.params.value));
    CHECK(same_bits(a.stats.value, c.stats.value));  // the running statistics travel in the checkpoint

    Rng rng_d(1);
    CNN d;
    cnn_init(d, small_config(Attention::SE), rng_d);
    Adam opt_d = make_adamw(d.params, 2e-3f, 1e-4f);
    Buf before = d.params.value;
    CHECK_THROWS_AS(load_training_state(path, d, opt_d, rng_d), Error);
    CHECK(same_bits(before, d.params.value));
    std::remove(path.c_str());
}

TEST_CASE("ch11 model: one epoch on 1,000 synthetic digits reaches 85% on 500 held-out ones (each model)") {
    OneThread one;
    ImageSet train = small_digits(1000, 1), held = small_digits(500, 2);
    for (Attention kind : {Attention::None, Attention::SE, Attention::CBAM}) {
        Rng rng(3);
        CNN m;
        cnn_init(m, small_config(kind), rng);
        Adam opt = make_adamw(m.params, 3e-3f, 1e-4f);
        for (int e = 0; e < 1; e++) train_epoch(m, opt, train, 32, Augment{}, 5.0f, rng, [](long) { return 3e-3f; }, nullptr);
        EpochStats st = evaluate(m, held, 100);
        MESSAGE(std::string(attention_key(kind)) << ": held-out accuracy " << st.acc);
        CHECK(st.acc >= 0.85);
    }
}

TEST_CASE("ch11 augmentation: each image is shifted by at most `shift` pixels and mirrored or not, nothing else") {
    const int B = 40, H = 12, shift = 2;
    Rng rng(7);
    Buf x((size_t)B * H * H, 0.0f), orig, scratch;
    for (int b = 0; b < B; b++)  // one bright pixel per image, away from the border
        x[((size_t)b * H + 4 + b % 4) * H + 3 + b % 5] = 1.0f;
    orig = x;
    augment_batch(x.data(), B, H, 0, false, rng, scratch);
    CHECK(same_bits(x, orig));  // no augmentation: untouched
    augment_batch(x.data(), B, H, shift, true, rng, scratch);
    int mirrored = 0, moved = 0;
    for (int b = 0; b < B; b++) {
        const int r0 = 4 + b % 4, c0 = 3 + b % 5;
        int r = -1, c = -1, lit = 0;
        for (int i = 0; i < H; i++)
            for (int j = 0; j < H; j++)
                if (x[((size_t)b * H + i) * H + j] == 1.0f) r = i, c = j, lit++;
        REQUIRE(lit == 1);  // the pixel survives (it is 3+ pixels from every border), once
        const int dr = r - r0, dc_plain = c - c0, dc_mirror = c - (H - 1 - c0);
        CHECK(std::abs(dr) <= shift);
        const bool plain_ok = std::abs(dc_plain) <= shift, mirror_ok = std::abs(dc_mirror) <= shift;
        CHECK((plain_ok || mirror_ok));
        mirrored += !plain_ok;
        moved += dr != 0 || (plain_ok ? dc_plain : dc_mirror) != 0;
    }
    CHECK(mirrored > 5);   // about half of 40 (the draws are the seed's: not a flaky count)
    CHECK(mirrored < 35);
    CHECK(moved > 20);     // most images moved (24 of 25 shift pairs move)
}

TEST_CASE("ch11 random erasing: p 0 draws nothing; otherwise one box of noise in [0, 1) or nothing, per image") {
    const int B = 200, H = 28;
    Rng rng(11), untouched(11);
    Buf x((size_t)B * H * H, -1.0f), orig = x;  // −1: no noise value can look like the original
    erase_batch(x.data(), B, H, 0.0f, rng);
    CHECK(same_bits(x, orig));
    CHECK(rng.next_u64() == untouched.next_u64());  // p = 0 drew nothing: the stream is where it was
    erase_batch(x.data(), B, H, 0.5f, rng);
    int erased = 0;
    for (int b = 0; b < B; b++) {
        const float* img = x.data() + (size_t)b * H * H;
        int top = H, bottom = -1, left = H, right = -1, n = 0;
        for (int i = 0; i < H; i++)
            for (int j = 0; j < H; j++)
                if (img[i * H + j] != -1.0f) {
                    CHECK(img[i * H + j] >= 0.0f);
                    CHECK(img[i * H + j] < 1.0f);
                    top = std::min(top, i), bottom = std::max(bottom, i), left = std::min(left, j), right = std::max(right, j);
                    n++;
                }
        if (n == 0) continue;
        erased++;
        const int h = bottom - top + 1, w = right - left + 1;
        CHECK(n == h * w);                    // one filled rectangle
        CHECK(h < H);
        CHECK(w < H);
        CHECK(h * w >= 0.02 * H * H - 2 * H);  // its area near [0.02, 0.4]·H² (rounding of h and w)
        CHECK(h * w <= 0.4 * H * H + 2 * H);
    }
    CHECK(erased > 70);  // about half of 200 (the seed's draws: not a flaky count)
    CHECK(erased < 130);
}
