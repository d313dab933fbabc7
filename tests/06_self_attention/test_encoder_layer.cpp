// Chapter 06's encoder layer: gradients (post- and pre-norm, with padding), dropout off in evaluation,
// and determinism on 1, 2 and 3 threads (dropout on).
#include <doctest/doctest.h>

#include <vector>

#include "chapters/06_self_attention/encoder_layer.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;
using namespace ch06;

namespace {
struct Layer {
    ParamSet ps;
    EncoderLayer L;
    Layer(NormPlace norm, float dropout, uint64_t seed, int C = 6, int NH = 2, int F = 10) {
        encoder_layer_declare(L, ps, "layer0.", C, NH, F, norm, dropout);
        ps.allocate();
        Rng rng(seed);
        encoder_layer_init(L, rng);
        for (float& v : ps.value) v += rng.uniform(-0.2f, 0.2f);  // non-trivial norms and biases
    }
};
}  // namespace

TEST_CASE("encoder layer: gradients of x and every parameter, post-norm and pre-norm, with padding") {
    const int B = 2, T = 4, C = 6;
    std::vector<int> len = {4, 2};
    for (NormPlace norm : {NormPlace::Post, NormPlace::Pre}) {
        INFO((norm == NormPlace::Pre ? "pre-norm" : "post-norm"));
        Layer l(norm, 0.3f, 7 + (int)norm);  // dropout p is set, but evaluation mode turns it off
        Rng rng(8), unused(0);
        Buf x = random_buf((size_t)B * T * C, rng), R = random_buf(x.size(), rng), y(x.size());
        EncoderCache cache;
        const AttnMask mask{len.data(), 1, false};
        std::vector<uint8_t> active;
        auto loss = [&]() -> double {
            encoder_layer_forward(y.data(), cache, l.L, x.data(), mask, B, T, unused, false);
            for (size_t i = 0; i < active.size(); i++)
                if ((cache.f1[i] > 0) != (bool)active[i]) return NAN;  // crossed the ReLU kink: skip
            return dot_double(y.data(), R.data(), y.size());
        };
        loss();
        for (int i = 0; i < B * T * l.L.F; i++) active.push_back(cache.f1[i] > 0);
        {  // a first backward with another upstream gradient leaves the layer's scratch gradients dirty
            Buf R2 = R, dx_dirty(x.size(), 0.0f);
            for (float& v : R2) v *= -3.0f;
            encoder_layer_backward(dx_dirty.data(), l.L, cache, R2.data(), x.data(), B, T);
        }
        l.ps.zero_grad();
        Buf dx(x.size(), 0.5f);  // the backward ADDS into dx: start it from 0.5 and take that off after
        encoder_layer_backward(dx.data(), l.L, cache, R.data(), x.data(), B, T);
        for (float& v : dx) v -= 0.5f;
        Buf grads = l.ps.grad;
        check_gradient("encoder dx", loss, x.data(), dx.data(), x.size());
        for (const auto& e : l.ps.entries()) {
            GradCheckOptions opt;
            opt.allow_zero = e.name == "layer0.attn.b_k";  // softmax ignores a shift shared by all keys
            check_gradient("encoder " + e.name, loss, l.ps.data(e), grads.data() + e.offset, e.size, opt);
        }
    }
}

TEST_CASE("encoder layer: with dropout in training, the gradient is that of the same masks") {
    const int B = 2, T = 3, C = 6;
    Layer l(NormPlace::Pre, 0.25f, 9);
    Rng rng(10);
    Buf x = random_buf((size_t)B * T * C, rng), R = random_buf(x.size(), rng), y(x.size());
    EncoderCache cache;
    uint64_t s0[4];
    Rng drop(77);
    std::copy(drop.s, drop.s + 4, s0);
    auto loss = [&]() -> double {
        std::copy(s0, s0 + 4, drop.s);  // the same dropout masks at every evaluation
        encoder_layer_forward(y.data(), cache, l.L, x.data(), AttnMask{}, B, T, drop, true);
        return dot_double(y.data(), R.data(), y.size());
    };
    loss();
    int dropped = 0;
    for (int i = 0; i < B * T * C; i++) dropped += cache.m1[i] == 0;
    CHECK(dropped > 0);
    Buf dx(x.size());
    l.ps.zero_grad();
    encoder_layer_backward(dx.data(), l.L, cache, R.data(), x.data(), B, T);
    GradCheckOptions opt;
    opt.max_checks = 20;
    check_gradient("encoder dx (dropout on)", loss, x.data(), dx.data(), x.size(), opt);
}

TEST_CASE("encoder layer: bit-identical on 1, 2 and 3 threads (training mode, dropout on)") {
    const int B = 4, T = 7, C = 16;
    std::vector<int> len = {7, 2, 5, 6};
    std::vector<Buf> results;
    for (int threads : {1, 2, 3}) {
        set_threads(threads);
        Layer l(NormPlace::Post, 0.1f, 12, C, 4, 32);
        Rng rng(13);
        Buf x = random_buf((size_t)B * T * C, rng), R = random_buf(x.size(), rng), y(x.size()), dx(x.size());
        EncoderCache cache;
        encoder_layer_forward(y.data(), cache, l.L, x.data(), AttnMask{len.data(), 1, false}, B, T, rng, true);
        l.ps.zero_grad();
        encoder_layer_backward(dx.data(), l.L, cache, R.data(), x.data(), B, T);
        Buf all = y;
        all.insert(all.end(), dx.begin(), dx.end());
        all.insert(all.end(), l.ps.grad.begin(), l.ps.grad.end());
        results.push_back(all);
    }
    set_threads(0);
    CHECK(results[1] == results[0]);
    CHECK(results[2] == results[0]);
}

TEST_CASE("encoder layer: the backward stays inside its buffers (dx and the cache's scratch)") {
    // The cache keeps a buffer that is already long enough, so each one here is one element longer
    // than (B,T,C) with a guard of 7 after the end: a loop that runs to i <= n reads the 7 or
    // writes over it, which the test sees without AddressSanitizer.
    const int B = 2, T = 3, C = 6, n = B * T * C;
    for (NormPlace norm : {NormPlace::Post, NormPlace::Pre}) {
        INFO((norm == NormPlace::Pre ? "pre-norm" : "post-norm"));
        Layer l(norm, 0.0f, 21 + (int)norm);
        Rng rng(22), unused(0);
        Buf x = random_buf(n, rng), R = random_buf(n, rng), y(n), dx(n + 1, 0.0f);
        dx[n] = 7.0f;
        EncoderCache cache;
        cache.resize(B, T, C, l.L.F);
        std::vector<Buf*> scratch = {&cache.s2, &cache.ds, &cache.dh, &cache.dffn_in, &cache.df2, &cache.da,
                                     &cache.dattn_in};
        for (Buf* b : scratch) b->resize(n + 1, 7.0f);
        encoder_layer_forward(y.data(), cache, l.L, x.data(), AttnMask{}, B, T, unused, false);
        l.ps.zero_grad();
        encoder_layer_backward(dx.data(), l.L, cache, R.data(), x.data(), B, T);
        CHECK(dx[n] == 7.0f);
        for (size_t k = 0; k < scratch.size(); k++) {
            CAPTURE(k);  // the k-th buffer of the list above
            CHECK((*scratch[k])[n] == 7.0f);
        }
    }
}
