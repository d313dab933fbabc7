// Chapter 07's decoder layer and its parts: the residual halves (pre- and post-norm, dropout off and on),
// the feed-forward network, and the whole layer (post- and pre-norm, padding in the source; with
// dropout in training, the gradient of the same masks) against finite differences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/07_transformer/decoder_layer.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;
using namespace ch07;

namespace {
// (a std::string: doctest prints a const char* operand of INFO as a pointer)
std::string norm_name(NormPlace norm) { return norm == NormPlace::Pre ? "pre-norm" : "post-norm"; }

struct Layer {
    ParamSet ps;
    DecoderLayer L;
    Layer(NormPlace norm, float dropout, uint64_t seed, int C = 6, int NH = 2, int F = 10) {
        decoder_layer_declare(L, ps, "dec0.", C, NH, F, norm, dropout);
        ps.allocate();
        Rng rng(seed);
        decoder_layer_init(L, rng);
        for (float& v : ps.value) v += rng.uniform(-0.2f, 0.2f);  // non-trivial norms and biases
    }
};

// an Rng whose state is put back before every evaluation: the same dropout masks each time
struct FixedDropout {
    Rng rng{77};
    uint64_t s0[4];
    FixedDropout() { std::copy(rng.s, rng.s + 4, s0); }
    Rng& reset() {
        std::copy(s0, s0 + 4, rng.s);
        return rng;
    }
};
int zeros(const std::vector<uint8_t>& keep, int n) { return (int)std::count(keep.begin(), keep.begin() + n, 0); }
}  // namespace

// The two halves around a sublayer f, here f(in) = tanh(in) elementwise (its backward: din = df·(1 − f²)).
TEST_CASE("residual halves: gradients of x and the layer norm, pre- and post-norm, dropout off and on") {
    const int N = 5, C = 6, n = N * C;
    for (NormPlace norm : {NormPlace::Post, NormPlace::Pre})
        for (bool training : {false, true}) {
            std::string what = norm_name(norm);
            what += training ? ", training (dropout 0.3)" : ", evaluation";
            INFO(what);
            ParamSet ps;
            LayerNormParams ln;
            layernorm_declare(ln, ps, "ln", C);
            ps.allocate();
            Rng rng(3 + (int)norm);
            init_constant(ln.g, 1.0f);
            for (float& v : ps.value) v += rng.uniform(-0.3f, 0.3f);
            Buf x = random_buf(n, rng), R = random_buf(n, rng), fx(n), y(n);
            ResidualCache r;
            FixedDropout drop;
            auto loss = [&]() -> double {
                const float* in = residual_in(r, x.data(), ln, norm, N, C);
                for (int i = 0; i < n; i++) fx[i] = std::tanh(in[i]);
                residual_out(y.data(), r, x.data(), fx.data(), ln, norm, 0.3f, drop.reset(), training, N, C);
                return dot_double(y.data(), R.data(), n);
            };
            loss();
            if (training) CHECK(zeros(r.keep, n) > 0);  // some units dropped
            else CHECK(zeros(r.keep, n) == 0);
            ps.zero_grad();
            Buf dx(n, 0.0f), df(n), din(n);
            residual_out_backward(dx.data(), df.data(), r, ln, R.data(), norm, N, C);
            for (int i = 0; i < n; i++) din[i] = df[i] * (1 - fx[i] * fx[i]);  // f = tanh(in)
            residual_in_backward(dx.data(), r, ln, din.data(), x.data(), norm, N, C);
            const Buf grads = ps.grad;
            check_gradient("residual dx", loss, x.data(), dx.data(), n);
            for (const auto& e : ps.entries())
                check_gradient("residual " + e.name, loss, ps.data(e), grads.data() + e.offset, e.size);
        }
}

TEST_CASE("feed-forward: gradients of z, W1, b1, W2, b2; the backward adds into dz") {
    const int N = 6, C = 5, F = 9;
    ParamSet ps;
    FFN f;
    ffn_declare(f, ps, "ffn.", C, F);
    ps.allocate();
    Rng rng(4);
    ffn_init(f, rng);
    Buf z = random_buf((size_t)N * C, rng), R = random_buf(z.size(), rng), out(z.size());
    FFNCache c;
    std::vector<uint8_t> active;
    auto loss = [&]() -> double {
        ffn_forward(out.data(), c, f, z.data(), N);
        for (size_t i = 0; i < active.size(); i++)
            if ((c.h[i] > 0) != (bool)active[i]) return NAN;  // crossed the ReLU kink: skip
        return dot_double(out.data(), R.data(), out.size());
    };
    loss();
    for (int i = 0; i < N * F; i++) active.push_back(c.h[i] > 0);
    ps.zero_grad();
    Buf dz(z.size(), 1.0f);  // += : what was there stays
    ffn_backward(dz.data(), f, c, R.data(), z.data(), N);
    for (float& v : dz) v -= 1.0f;
    const Buf grads = ps.grad;
    check_gradient("ffn dz", loss, z.data(), dz.data(), z.size());
    for (const auto& e : ps.entries())
        check_gradient(e.name, loss, ps.data(e), grads.data() + e.offset, e.size);
    // the same backward again, on the same cache: the same gradients (its scratch is cleared first)
    loss();
    for (int pass = 0; pass < 2; pass++) {
        ps.zero_grad();
        Buf dz2(z.size(), 0.0f);
        ffn_backward(dz2.data(), f, c, R.data(), z.data(), N);
        size_t differ = 0;
        for (size_t i = 0; i < grads.size(); i++) differ += ps.grad[i] != grads[i];
        for (size_t i = 0; i < dz.size(); i++) differ += !(std::fabs(dz2[i] - dz[i]) <= 1e-6f);
        CHECK(differ == 0);
    }
}

TEST_CASE("decoder layer: gradients of x, mem and every parameter, post- and pre-norm, padding in the source") {
    const int B = 2, T = 4, S = 5, C = 6;
    const std::vector<int> src_len = {5, 3};
    for (NormPlace norm : {NormPlace::Post, NormPlace::Pre}) {
        INFO(norm_name(norm));
        Layer l(norm, 0.3f, 7 + (int)norm);  // dropout p is set, but evaluation mode turns it off
        Rng rng(8), unused(0);
        Buf x = random_buf((size_t)B * T * C, rng), mem = random_buf((size_t)B * S * C, rng);
        Buf R = random_buf(x.size(), rng), y(x.size());
        DecoderCache k;
        std::vector<uint8_t> active;
        auto loss = [&]() -> double {
            decoder_layer_forward(y.data(), k, l.L, x.data(), mem.data(), src_len.data(), B, T, S, unused, false);
            for (size_t i = 0; i < active.size(); i++)
                if ((k.ffn.h[i] > 0) != (bool)active[i]) return NAN;  // crossed the ReLU kink: skip
            return dot_double(y.data(), R.data(), y.size());
        };
        loss();
        for (int i = 0; i < B * T * l.L.F; i++) active.push_back(k.ffn.h[i] > 0);
        {  // a first backward with another upstream gradient leaves the layer's scratch gradients dirty
            Buf R2 = R, dx_dirty(x.size(), 0.0f), dmem_dirty(mem.size(), 0.0f);
            for (float& v : R2) v *= -3.0f;
            decoder_layer_backward(dx_dirty.data(), dmem_dirty.data(), l.L, k, R2.data(), x.data(), mem.data(), B, T, S);
        }
        l.ps.zero_grad();
        Buf dx(x.size(), 0.5f), dmem(mem.size(), 0.5f);  // the backward ADDS into both: take the 0.5 off after
        decoder_layer_backward(dx.data(), dmem.data(), l.L, k, R.data(), x.data(), mem.data(), B, T, S);
        for (float& v : dx) v -= 0.5f;
        for (float& v : dmem) v -= 0.5f;
        const Buf grads = l.ps.grad;
        // the padded source positions of sequence 1 are never attended to: exactly zero gradient
        bool pad_zero = true;
        for (int s = src_len[1]; s < S; s++)
            for (int c = 0; c < C; c++) pad_zero = pad_zero && dmem[((size_t)S + s) * C + c] == 0.0f;
        CHECK(pad_zero);
        // ε = 1e-3: a step of 1e-2 moves all 80 hidden units of the FFN, and too often one of them across its
        // kink (that element is then skipped); the loss is summed in double, so the smaller step stays precise
        GradCheckOptions small;
        small.eps = 1e-3;
        check_gradient("decoder dx", loss, x.data(), dx.data(), x.size(), small);
        check_gradient("decoder dmem", loss, mem.data(), dmem.data(), mem.size(), small);
        for (const auto& e : l.ps.entries()) {
            GradCheckOptions opt = small;
            opt.allow_zero = e.name.size() >= 3 && e.name.compare(e.name.size() - 3, 3, "b_k") == 0;  // softmax ignores a shift shared by all keys
            check_gradient("decoder " + e.name, loss, l.ps.data(e), grads.data() + e.offset, e.size, opt);
        }
    }
}

TEST_CASE("decoder layer: with dropout in training (branches and attention weights), the gradient is that of the same masks") {
    const int B = 2, T = 3, S = 4, C = 6;
    const std::vector<int> src_len = {4, 2};
    Layer l(NormPlace::Post, 0.25f, 9);
    l.L.attn_dropout = 0.2f;  // the attention weights too, in both attentions
    Rng rng(10);
    Buf x = random_buf((size_t)B * T * C, rng), mem = random_buf((size_t)B * S * C, rng);
    Buf R = random_buf(x.size(), rng), y(x.size());
    DecoderCache k;
    FixedDropout drop;
    std::vector<uint8_t> active;
    auto loss = [&]() -> double {
        decoder_layer_forward(y.data(), k, l.L, x.data(), mem.data(), src_len.data(), B, T, S, drop.reset(), true);
        for (size_t i = 0; i < active.size(); i++)
            if ((k.ffn.h[i] > 0) != (bool)active[i]) return NAN;
        return dot_double(y.data(), R.data(), y.size());
    };
    loss();
    for (int i = 0; i < B * T * l.L.F; i++) active.push_back(k.ffn.h[i] > 0);
    for (const ResidualCache* r : {&k.r1, &k.r2, &k.r3}) CHECK(zeros(r->keep, B * T * C) > 0);  // every branch drops
    CHECK(zeros(k.self.keep, B * l.L.NH * T * T) > 0);  // and both attentions drop weights
    CHECK(zeros(k.cross.keep, B * l.L.NH * T * S) > 0);
    l.ps.zero_grad();
    Buf dx(x.size(), 0.0f), dmem(mem.size(), 0.0f);
    decoder_layer_backward(dx.data(), dmem.data(), l.L, k, R.data(), x.data(), mem.data(), B, T, S);
    const Buf grads = l.ps.grad;
    GradCheckOptions opt;
    opt.max_checks = 20;
    check_gradient("decoder dx (dropout on)", loss, x.data(), dx.data(), x.size(), opt);
    check_gradient("decoder dmem (dropout on)", loss, mem.data(), dmem.data(), mem.size(), opt);
    for (const char* name : {"dec0.self_attn.W_v", "dec0.cross_attn.W_q", "dec0.ffn.W1", "dec0.ln3.weight"}) {
        const auto* e = l.ps.find(name);
        REQUIRE(e);
        check_gradient(std::string(name) + " (dropout on)", loss, l.ps.data(*e), grads.data() + e->offset, e->size, opt);
    }
}
