// Chapter 10's model: gradient checks of the core over several steps, the location, baseline and
// action networks and the whole hybrid loss with the sampled locations held fixed; the ablation
// gives the location network no gradient; bit-identical training on 1, 2 and 3 threads; resume
// from a checkpoint; a short training run.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "chapters/10_recurrent_attention/ram_model.hpp"
#include "chapters/10_recurrent_attention/train.hpp"
#include "common/core/error.hpp"
#include "common/data/synth_images.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace ch10;
using attn::testing::check_gradient;

// A tiny RAM: a 10×10 image, 2 scales of 3×3, 3 glimpses, 4 classes.
static RAMConfig tiny_config(bool lstm) {
    RAMConfig c;
    c.H = c.W = 10, c.g = 3, c.k = 2, c.T = 3;
    c.Dg = 5, c.Dl = 4, c.G = 6, c.C = 7, c.V = 4;
    c.sigma = 0.2f, c.lstm = lstm;
    return c;
}

struct OneThread {
    OneThread() { set_threads(1); }
    ~OneThread() { set_threads(0); }
};

// Every relu input's sign: a finite-difference step that flips one measured a slope across a kink.
static std::vector<int> kinks(const RAMActs& a, const RAMConfig& c, int B) {
    std::vector<int> k;
    const size_t TB = (size_t)c.T * B;
    auto signs = [&](const Buf& v, size_t n) {
        for (size_t i = 0; i < n; i++) k.push_back(v[i] > 0);
    };
    signs(a.hg_pre, TB * c.Dg), signs(a.hl_pre, TB * c.Dl), signs(a.g_pre, TB * c.G);
    if (!c.lstm) signs(a.core_pre, TB * c.C);
    signs(a.lh_pre, TB * c.Lh);
    return k;
}

// A tiny model with positive biases (most relus alive), smooth random images, and one sampled path
// whose locations (and advantages) are then held fixed: the surrogate loss
//   S(θ) = CE(θ) + w_p·L_policy(θ; l, A fixed) + w_b·L_baseline(w_b, c_b; h fixed)
// is a deterministic function of the parameters whose gradient is exactly what ram_backward computes.
struct Fixture {
    RAMConfig c;
    RAM m;
    int B = 3;
    Buf x, eps, lraw, adv, h_fixed, R_fixed;
    std::vector<int> y = {0, 3, 1};
    RAMActs a;
    Fixture(bool lstm, bool policy_to_core, uint64_t seed, int Lh = 0) : c(tiny_config(lstm)) {
        c.detach_loc = !policy_to_core;
        c.Lh = Lh;
        Rng rng(seed);
        ram_init(m, c, rng);
        for (const auto& e : m.params.entries())
            if (e.name.find("bias") != std::string::npos && e.name.find("lstm") == std::string::npos)
                testing::fill_uniform(m.params.data(e), e.size, rng, 0.05f, 0.3f);
        testing::fill_uniform(m.W_mu.data, m.W_mu.size, rng, -0.5f, 0.5f);  // μ not saturated, but moving
        x = testing::random_buf((size_t)B * c.H * c.W, rng, 0.0f, 1.0f);
        eps = testing::random_buf((size_t)c.T * B * 2, rng, -1.5f, 1.5f);
        a.resize(B, c);
        ram_forward(m, a, x.data(), y.data(), B, eps.data());
        lraw.assign(a.lraw.begin(), a.lraw.end());
        adv.assign(a.adv.begin(), a.adv.end());
        h_fixed.assign(a.h.begin(), a.h.begin() + (size_t)c.T * B * c.C);
        R_fixed.assign(a.R.begin(), a.R.end());
    }
    // S(θ) with the chosen weights
    double surrogate(float w_policy, float w_baseline) {
        RAMLoss L = ram_forward(m, a, x.data(), y.data(), B, eps.data(), lraw.data(), adv.data());
        const int N = c.T * B;
        Buf base(N);
        linear_forward(base.data(), h_fixed.data(), m.W_b.data, m.b_b.data, N, c.C, 1);
        return (double)L.ce + w_policy * (double)L.policy + w_baseline * baseline_loss_forward(base.data(), R_fixed.data(), N, B);
    }
    Buf analytic(float w_policy, float w_baseline) {
        ram_forward(m, a, x.data(), y.data(), B, eps.data(), lraw.data(), adv.data());
        // a first backward with other weights leaves the activations' gradients dirty: it must clear them
        ram_backward(m, a, y.data(), B, 2.0f * w_policy + 0.5f, 3.0f * w_baseline + 0.5f);
        m.params.zero_grad();
        ram_backward(m, a, y.data(), B, w_policy, w_baseline);
        return m.params.grad;
    }
};

// Checks every parameter whose name starts with one of `prefixes` against finite differences of S(θ).
static void check_params(Fixture& fx, float w_policy, float w_baseline, const std::vector<std::string>& prefixes) {
    OneThread one;
    Buf g = fx.analytic(w_policy, w_baseline);
    const std::vector<int> k0 = kinks(fx.a, fx.c, fx.B);
    auto loss = [&]() -> double {
        double L = fx.surrogate(w_policy, w_baseline);
        return kinks(fx.a, fx.c, fx.B) == k0 ? L : NAN;
    };
    GradCheckOptions opt;
    opt.eps = 1e-3, opt.atol = 1e-3, opt.max_checks = 40;
    size_t checked = 0, total = 0, tensors = 0;
    for (const auto& e : fx.m.params.entries()) {
        bool want = false;
        for (const std::string& p : prefixes) want |= e.name.rfind(p, 0) == 0;
        if (!want) continue;
        tensors++;
        check_gradient(e.name, loss, fx.m.params.data(e), g.data() + e.offset, e.size, opt);
        GradCheckResult r = gradcheck(loss, fx.m.params.data(e), g.data() + e.offset, e.size, opt);
        checked += r.checked, total += r.checked + r.skipped;
    }
    MESSAGE(tensors << " tensors, " << checked << " of " << total << " elements checked (the rest crossed a kink)");
    CHECK(tensors > 0);
    CHECK(checked * 2 > total);  // the kink filter must not hide most of the check
}

// One core step on its own: h_1 = core(h_0, g_0) (relu RNN, or the LSTM cell with its c_0), the
// loss Σ R ⊙ h_1, and core_step_backward (+ core_weights_backward for the relu core's weights)
// against central differences, for the inputs h_0, g_0 (and c_0) and every core parameter.
static void check_core_step(bool lstm) {
    OneThread one;
    RAMConfig c = tiny_config(lstm);
    c.T = 1;
    RAM m;
    Rng rng(lstm ? 23 : 22);
    ram_init(m, c, rng);
    if (!lstm) testing::fill_uniform(m.b_h.data, m.b_h.size, rng, 0.05f, 0.3f);  // most relus alive
    const int B = 3;
    const size_t BC = (size_t)B * c.C;
    RAMActs a;
    a.resize(B, c);
    testing::fill_uniform(a.h.data(), BC, rng);               // h_0
    testing::fill_uniform(a.g.data(), (size_t)B * c.G, rng);  // g_0
    if (lstm) testing::fill_uniform(a.c.data(), BC, rng);     // c_0
    const Buf R = testing::random_buf(BC, rng);               // dL/dh_1
    core_step_forward(m, a, 0, B);
    std::vector<uint8_t> alive;  // the relu core's pre-activation signs at the unperturbed point
    if (!lstm)
        for (size_t i = 0; i < BC; i++) alive.push_back(a.core_pre[i] > 0);
    auto loss = [&]() -> double {
        core_step_forward(m, a, 0, B);
        for (size_t i = 0; i < alive.size(); i++)
            if ((a.core_pre[i] > 0) != (bool)alive[i]) return NAN;  // crossed the relu's kink: skip
        return testing::dot_double(a.h.data() + BC, R.data(), BC);
    };
    m.params.zero_grad();
    std::fill(a.dh.begin(), a.dh.end(), 0.0f), std::fill(a.dg.begin(), a.dg.end(), 0.0f);
    std::fill(a.dc.begin(), a.dc.end(), 0.0f);
    std::copy(R.begin(), R.end(), a.dh.begin() + BC);  // dh_1
    core_step_backward(m, a, 0, B);
    core_weights_backward(m, a, B);
    const Buf dh0(a.dh.begin(), a.dh.begin() + BC), dg0(a.dg.begin(), a.dg.begin() + (size_t)B * c.G);
    const Buf dc0 = a.dc;  // LSTM: dc_0 (empty for the relu core)
    const Buf grads = m.params.grad;
    GradCheckOptions opt;
    opt.eps = 1e-3, opt.atol = 1e-3;
    check_gradient("dh_0", loss, a.h.data(), dh0.data(), BC, opt);
    check_gradient("dg_0", loss, a.g.data(), dg0.data(), dg0.size(), opt);
    if (lstm) check_gradient("dc_0", loss, a.c.data(), dc0.data(), BC, opt);
    int tensors = 0;
    for (const auto& e : m.params.entries())
        if (e.name.rfind("core.", 0) == 0) {
            check_gradient(e.name, loss, m.params.data(e), grads.data() + e.offset, e.size, opt);
            tensors++;
        }
    CHECK(tensors == (lstm ? 4 : 3));  // W_ih, W_hh, b_ih, b_hh; or weight_hh, weight_ih, bias
}

TEST_CASE("ch10 model: core_step_backward (one step of the relu core, and of the LSTM cell) matches finite differences") {
    SUBCASE("relu") { check_core_step(false); }
    SUBCASE("lstm") { check_core_step(true); }
}

TEST_CASE("ch10 model: the core over several steps, the glimpse and action networks (cross-entropy)") {
    for (bool lstm : {false, true}) {
        INFO("lstm " << lstm);
        Fixture fx(lstm, false, lstm ? 31 : 13);
        check_params(fx, 0.0f, 0.0f, {"glimpse.", "core.", "action."});
    }
}

TEST_CASE("ch10 model: the location network's REINFORCE gradient (detached, and into the core)") {
    Fixture detached(false, false, 5);
    check_params(detached, 1.0f, 0.0f, {"location."});
    Fixture through(false, true, 6);
    check_params(through, 1.0f, 0.0f, {"location.", "core.", "glimpse."});
    Fixture hidden(false, true, 7, /*Lh=*/4);  // with the location net's hidden layer
    check_params(hidden, 1.0f, 0.0f, {"location.", "core."});
    Fixture narrow(false, true, 10, /*Lh=*/1);  // a hidden layer of one unit
    check_params(narrow, 1.0f, 0.0f, {"location.", "core."});
    // a hidden unit that is dead on every row (its bias −100) gets exactly no gradient, nor does one
    // whose input is exactly 0 on every row (zero weights and bias: relu'(0) = 0, as torch's relu)
    Fixture dead(false, true, 7, /*Lh=*/4);
    const int C = dead.c.C;
    dead.m.b_loc.data[0] = -100.0f;
    std::fill(dead.m.W_loc.data + C, dead.m.W_loc.data + 2 * C, 0.0f), dead.m.b_loc.data[1] = 0.0f;
    const Buf g = dead.analytic(1.0f, 0.0f);
    const auto* W = dead.m.params.find("location.hidden.weight");
    const auto* b = dead.m.params.find("location.hidden.bias");
    REQUIRE(W);
    REQUIRE(b);
    for (int k = 0; k < 2 * C; k++) CHECK(g[W->offset + k] == 0.0f);
    CHECK(g[b->offset] == 0.0f);
    CHECK(g[b->offset + 1] == 0.0f);
    CHECK(g[b->offset + 2] != 0.0f);  // (a live unit does get one)
}

TEST_CASE("ch10 model: the baseline network (regression on the reward, h detached)") {
    Fixture fx(false, false, 8);
    check_params(fx, 0.0f, 1.0f, {"baseline."});
}

TEST_CASE("ch10 model: the whole hybrid loss, every parameter, with the sampled path held fixed") {
    for (bool lstm : {false, true}) {
        INFO("lstm " << lstm);
        Fixture fx(lstm, /*policy_to_core=*/true, lstm ? 41 : 14, /*Lh=*/lstm ? 0 : 3);
        check_params(fx, 1.0f, 1.0f, {""});
    }
}

TEST_CASE("ch10 model: detached, the policy loss trains only the location net; without REINFORCE, not even that") {
    OneThread one;
    Fixture fx(false, false, 9);
    Buf ce_only = fx.analytic(0.0f, 0.0f), hybrid = fx.analytic(1.0f, 1.0f), no_rl = fx.analytic(0.0f, 1.0f);
    for (const auto& e : fx.m.params.entries()) {
        INFO(e.name);
        const float *h = hybrid.data() + e.offset, *c = ce_only.data() + e.offset, *n = no_rl.data() + e.offset;
        const bool loc = e.name.rfind("location.", 0) == 0, base = e.name.rfind("baseline.", 0) == 0;
        if (!loc && !base) CHECK(std::memcmp(h, c, e.size * sizeof(float)) == 0);
        double lsum = 0, nsum = 0;
        for (size_t i = 0; i < e.size; i++) lsum += std::fabs(h[i]), nsum += std::fabs(n[i]);
        if (loc) {
            CHECK(lsum > 0);    // REINFORCE moves the location net ...
            CHECK(nsum == 0);   // ... and nothing else does
        }
    }
}

// ---- training ---------------------------------------------------------------------------------------

// Procedural digits (no data files needed).
static const ImageSet& digits() {
    static const ImageSet d = synth_digits(4000, 1);
    return d;
}
static ImageSet first(const ImageSet& s, int n) {
    std::vector<int> idx(n);
    for (int i = 0; i < n; i++) idx[i] = i;
    return take_images(s, idx);
}

// A small RAM on 40×40 translated digits: 2 scales of 10×10, 4 glimpses.
static RAMConfig small_config() {
    RAMConfig c;
    c.H = c.W = 40, c.g = 10, c.k = 2, c.T = 4;
    c.Dg = c.Dl = 32, c.G = c.C = 64;
    return c;
}
static Task task40() { return {"translated40", 40, 0, 8}; }

// Train one epoch on `threads` threads and return the loss and the final weights.
static std::pair<double, Buf> a_few_steps(int threads, const ImageSet& train) {
    set_threads(threads);
    Rng rng(9);
    RAM m;
    ram_init(m, small_config(), rng);
    Adam opt = make_adam(m.params, 2e-3f);
    TrainStats st = train_epoch(m, opt, train, task40(), 77, 32, rng, [](long) { return 2e-3f; }, TrainOptions{}, nullptr);
    set_threads(0);
    return {st.loss, m.params.value};
}

TEST_CASE("ch10 model: bit-identical losses and weights on 1, 2 and 3 threads") {
    ImageSet train = first(digits(), 96);
    auto r1 = a_few_steps(1, train), r2 = a_few_steps(2, train), r3 = a_few_steps(3, train);
    CHECK(r1.first == r2.first);
    CHECK(r1.first == r3.first);
    REQUIRE(r1.second.size() == r2.second.size());
    CHECK(std::memcmp(r1.second.data(), r2.second.data(), r1.second.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(r1.second.data(), r3.second.data(), r1.second.size() * sizeof(float)) == 0);
}

TEST_CASE("ch10 model: save -> load -> continue equals an uninterrupted run; another config refuses it") {
    OneThread one;
    ImageSet train = first(digits(), 128);
    auto lr = [](long step) { return 2e-3f * (1.0f - step / 20.0f); };
    Rng rng_a(8);
    RAM a;
    ram_init(a, small_config(), rng_a);
    Adam opt_a = make_adam(a.params, 2e-3f);
    for (int e = 0; e < 2; e++) train_epoch(a, opt_a, train, task40(), 100 + e, 32, rng_a, lr, TrainOptions{}, nullptr);
    std::string path = "test_ch10_resume.ckpt";
    {
        Rng rng_b(8);
        RAM b;
        ram_init(b, small_config(), rng_b);
        Adam opt_b = make_adam(b.params, 2e-3f);
        train_epoch(b, opt_b, train, task40(), 100, 32, rng_b, lr, TrainOptions{}, nullptr);
        save_training_state(path, b, opt_b, rng_b, 1);
    }
    Rng rng_c(12345);
    RAM c;
    ram_init(c, small_config(), rng_c);
    Adam opt_c = make_adam(c.params, 2e-3f);
    CHECK(load_training_state(path, c, opt_c, rng_c) == 1);
    train_epoch(c, opt_c, train, task40(), 101, 32, rng_c, lr, TrainOptions{}, nullptr);
    CHECK(std::memcmp(a.params.value.data(), c.params.value.data(), a.params.value.size() * sizeof(float)) == 0);

    RAMConfig other = small_config();
    other.T = 5;
    Rng rng_d(1);
    RAM d;
    ram_init(d, other, rng_d);
    Adam opt_d = make_adam(d.params, 2e-3f);
    Buf before = d.params.value;
    CHECK_THROWS_AS(load_training_state(path, d, opt_d, rng_d), Error);
    CHECK(std::memcmp(before.data(), d.params.value.data(), before.size() * sizeof(float)) == 0);
    std::remove(path.c_str());
}

TEST_CASE("ch10 model: Monte-Carlo evaluation is deterministic, and M = 0 looks at the means") {
    OneThread one;
    Rng rng(4);
    RAM m;
    ram_init(m, small_config(), rng);
    ImageSet test = task_images(first(digits(), 50), task40(), 3);
    EpochStats a = evaluate(m, test, 20, 3, 99), b = evaluate(m, test, 20, 3, 99);
    CHECK(a.acc == b.acc);
    CHECK(a.loss == b.loss);
    GlimpseTrace tr = trace_glimpses(m, test, {0, 1}, 0, 99);
    // the first location is μ_0 = tanh(b_μ) for every image
    for (int d = 0; d < 2; d++) {
        CHECK(tr.loc[d] == doctest::Approx(std::tanh(m.b_mu.data[d])));
        CHECK(tr.loc[2 + d] == doctest::Approx(std::tanh(m.b_mu.data[d])));
    }
}

TEST_CASE("ch10 model: six epochs on 3,000 translated procedural digits learn well above chance") {
    OneThread one;
    ImageSet train = first(digits(), 3000);
    ImageSet held = task_images(synth_digits(1000, 2), task40(), 5);
    Rng rng(3);
    RAM m;
    ram_init(m, small_config(), rng);
    Adam opt = make_adam(m.params, 2e-3f);
    for (int e = 0; e < 6; e++)
        train_epoch(m, opt, train, task40(), 200 + e, 32, rng, [](long) { return 2e-3f; }, TrainOptions{}, nullptr);
    EpochStats st = evaluate(m, held, 500, 0, 1);
    MESSAGE("held-out accuracy " << st.acc);
    CHECK(st.acc >= 0.4);  // 0.554 when written (g++ 12, -O3); chance is 0.1
}
