// Chapter 11's blocks against finite differences: batch norm (common/nn/batchnorm2d), the conv block,
// squeeze-and-excitation, CBAM's channel and spatial attention; and hand-computable forward cases.
// Every check: L = Σ out ⊙ R (R a fixed random upstream gradient), backward with dout = R, central
// differences on every input and weight. Where a block has kinks (relu, a max) a perturbation that
// moves one makes the loss NaN, and that element is skipped (tests/gradcheck.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "chapters/11_attention_in_cnns/cbam.hpp"
#include "chapters/11_attention_in_cnns/conv_block.hpp"
#include "chapters/11_attention_in_cnns/squeeze_excitation.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/activations.hpp"
#include "common/nn/batchnorm2d.hpp"
#include "common/nn/conv2d.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace ch11;
using attn::testing::check_gradient;
using attn::testing::dot_double;
using attn::testing::random_buf;

namespace {

struct OneThread {
    OneThread() { set_threads(1); }
    ~OneThread() { set_threads(0); }
};

GradCheckOptions opts() {
    GradCheckOptions o;
    o.eps = 1e-3, o.atol = 1e-3, o.rtol = 2e-2;
    return o;
}

// A backward run into buffers that held 1 must leave 1 + the gradient it gave into zeros: how many
// elements of got are not 1 + want.
size_t added_onto_ones(const Buf& got, const Buf& want) {
    size_t differ = 0;
    for (size_t i = 0; i < want.size(); i++)
        differ += !(std::fabs(got[i] - 1.0f - want[i]) <= 1e-5f * (1 + std::fabs(want[i])));
    return differ;
}

}  // namespace

TEST_CASE("ch11 batch norm: training forward normalises each channel; eval uses the running statistics") {
    // B=2, C=2, HW=2: channel 0 holds 1,2,3,4 (μ 2.5, σ² 1.25), channel 1 holds 5,5,5,5 (σ² 0)
    const float x[8] = {1, 2, 5, 5, 3, 4, 5, 5};
    const float gamma[2] = {2, 1}, beta[2] = {0.5f, -1};
    float out[8], mean[2], rstd[2], rm[2] = {0, 0}, rv[2] = {1, 1};
    batchnorm2d_forward_train(out, mean, rstd, rm, rv, x, gamma, beta, 2, 2, 2, 0.1f, 1e-5f);
    const float r0 = 1.0f / std::sqrt(1.25f + 1e-5f);
    CHECK(mean[0] == doctest::Approx(2.5f));
    CHECK(rstd[0] == doctest::Approx(r0));
    CHECK(out[0] == doctest::Approx(2 * (1 - 2.5f) * r0 + 0.5f));
    CHECK(out[5] == doctest::Approx(4 * 0 + 2 * (4 - 2.5f) * r0 + 0.5f));
    CHECK(out[2] == doctest::Approx(-1.0f));  // a constant channel: x̂ = 0, out = β
    // running: 0.9·0 + 0.1·2.5; 0.9·1 + 0.1·(unbiased σ² = 5/3)
    CHECK(rm[0] == doctest::Approx(0.25f));
    CHECK(rv[0] == doctest::Approx(0.9f + 0.1f * 5.0f / 3.0f));
    CHECK(rv[1] == doctest::Approx(0.9f));
    float e[8];
    batchnorm2d_forward_eval(e, x, gamma, beta, rm, rv, 2, 2, 2, 1e-5f);
    CHECK(e[0] == doctest::Approx(2 * (1 - 0.25f) / std::sqrt(rv[0] + 1e-5f) + 0.5f));
}

TEST_CASE("ch11 batch norm: backward matches finite differences (input, γ, β)") {
    OneThread one;
    Rng rng(11);
    const int B = 3, C = 4, HW = 5;
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng, -2, 2), g = random_buf(C, rng, 0.5f, 1.5f), b = random_buf(C, rng), R = random_buf(n, rng);
    Buf out(n), mean(C), rstd(C), dx(n, 0.0f), dg(C, 0.0f), db(C, 0.0f);
    auto loss = [&]() {
        batchnorm2d_forward_train(out.data(), mean.data(), rstd.data(), nullptr, nullptr, x.data(), g.data(), b.data(),
                                  B, C, HW);
        return dot_double(out.data(), R.data(), n);
    };
    loss();
    batchnorm2d_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), g.data(), mean.data(), rstd.data(), B, C,
                         HW);
    check_gradient("bn dx", loss, x.data(), dx.data(), n, opts());
    check_gradient("bn dgamma", loss, g.data(), dg.data(), C, opts());
    check_gradient("bn dbeta", loss, b.data(), db.data(), C, opts());
}

TEST_CASE("ch11 batch norm + relu in one pass: backward matches finite differences (input, γ, β)") {
    // batchnorm2d_relu_backward on its own (the conv block's check goes through it too). A step that
    // moves an output across relu's kink changes the mask: the loss says NaN and that element is skipped.
    OneThread one;
    Rng rng(34);
    const int B = 3, C = 4, HW = 5;
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng, -2, 2), g = random_buf(C, rng, 0.5f, 1.5f), b = random_buf(C, rng, -0.5f, 0.5f);
    Buf R = random_buf(n, rng), out(n), mean(C), rstd(C), dx(n, 0.0f), dg(C, 0.0f), db(C, 0.0f);
    std::vector<int> mask0;
    auto mask = [&] {
        std::vector<int> k;
        for (size_t i = 0; i < n; i++) k.push_back(out[i] > 0);
        return k;
    };
    auto loss = [&]() -> double {
        batchnorm2d_relu_forward_train(out.data(), mean.data(), rstd.data(), nullptr, nullptr, x.data(), g.data(),
                                       b.data(), B, C, HW);
        return mask() == mask0 ? dot_double(out.data(), R.data(), n) : NAN;
    };
    batchnorm2d_relu_forward_train(out.data(), mean.data(), rstd.data(), nullptr, nullptr, x.data(), g.data(), b.data(),
                                   B, C, HW);
    mask0 = mask();
    Buf dout(R);  // overwritten with the relu's gradient
    batchnorm2d_relu_backward(dx.data(), dg.data(), db.data(), dout.data(), out.data(), x.data(), g.data(), mean.data(),
                              rstd.data(), B, C, HW);
    check_gradient("bn+relu dx", loss, x.data(), dx.data(), n, opts());
    check_gradient("bn+relu dgamma", loss, g.data(), dg.data(), C, opts());
    check_gradient("bn+relu dbeta", loss, b.data(), db.data(), C, opts());
}

TEST_CASE("ch11 batch norm: channels summed side by side give each channel's numbers alone, on 1, 2 and 3 threads") {
    // batchnorm2d sums several channels at once (independent chains, each in its own order; a group of
    // group of 16, 8 or 4 channels in the lanes of a vector); the statistics, outputs and gradients must
    // be those of the channel normalised alone, bit for bit, however the threads cut the channels
    // (C = 21 with VL = 16: on one thread groups of 16 and 4 and a single channel; on two threads 10 + 11
    // channels, a group of 8 and single ones each; on three, 7 channels each, a group of 4 and single
    // ones. With VL = 8: 8, 8, 4, 1 on one thread). HW = 6001 is no multiple of 16, 8 or 4: the last
    // position of each image takes the lanes one at a time.
    Rng rng(31);
    const int B = 3, C = 21, HW = 6001;  // B·HW > 16384: the channels are spread over the threads
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng, -2, 2), g = random_buf(C, rng, 0.5f, 1.5f), be = random_buf(C, rng), R = random_buf(n, rng);
    auto run = [&](int Cn, const float* xs, const float* gs, const float* bs, const float* Rs, Buf& all) {
        const size_t m = (size_t)B * Cn * HW;
        Buf out(m), mean(Cn), rstd(Cn), rm(Cn, 0.0f), rv(Cn, 1.0f), dx(m, 0.0f), dg(Cn, 0.0f), db(Cn, 0.0f);
        batchnorm2d_forward_train(out.data(), mean.data(), rstd.data(), rm.data(), rv.data(), xs, gs, bs, B, Cn, HW);
        batchnorm2d_backward(dx.data(), dg.data(), db.data(), Rs, xs, gs, mean.data(), rstd.data(), B, Cn, HW);
        for (const Buf* v : {&out, &dx, &mean, &rstd, &rm, &rv, &dg, &db}) all.insert(all.end(), v->begin(), v->end());
    };
    std::vector<Buf> together;
    for (int threads : {1, 2, 3}) {
        set_threads(threads);
        together.emplace_back();
        run(C, x.data(), g.data(), be.data(), R.data(), together.back());
    }
    set_threads(1);
    for (int c = 0; c < C; c++) {  // channel c alone: (B,1,HW)
        Buf xc((size_t)B * HW), Rc((size_t)B * HW), alone, joint;
        for (int b = 0; b < B; b++)
            for (int p = 0; p < HW; p++) {
                xc[(size_t)b * HW + p] = x[((size_t)b * C + c) * HW + p];
                Rc[(size_t)b * HW + p] = R[((size_t)b * C + c) * HW + p];
            }
        run(1, xc.data(), g.data() + c, be.data() + c, Rc.data(), alone);
        // the same numbers picked out of the joint run: out and dx per image, then the per-channel values
        const Buf& t = together[0];
        for (int part = 0; part < 2; part++)
            for (int b = 0; b < B; b++)
                for (int p = 0; p < HW; p++) joint.push_back(t[part * n + ((size_t)b * C + c) * HW + p]);
        for (int k = 0; k < 6; k++) joint.push_back(t[2 * n + (size_t)k * C + c]);
        CHECK(std::memcmp(alone.data(), joint.data(), alone.size() * sizeof(float)) == 0);
    }
    set_threads(0);
    for (int t = 1; t < 3; t++)
        CHECK(std::memcmp(together[0].data(), together[t].data(), together[0].size() * sizeof(float)) == 0);
}

TEST_CASE("ch11 batch norm: the backward without accumulate gives the bits of += into zeros") {
    // the conv block writes dconv instead of clearing it and adding; dx must be the same bits, and
    // dγ, dβ still add (with zero gradients and −0 among dout, as relu's gradient has)
    Rng rng(32);
    const int B = 4, C = 5, HW = 5000;
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng, -2, 2), g = random_buf(C, rng, 0.5f, 1.5f), be = random_buf(C, rng);
    Buf d = random_buf(n, rng);
    for (size_t i = 0; i < n; i += 3) d[i] = (i % 2) ? 0.0f : -0.0f;
    Buf out(n), mean(C), rstd(C), rm(C, 0.0f), rv(C, 1.0f);
    batchnorm2d_forward_train(out.data(), mean.data(), rstd.data(), rm.data(), rv.data(), x.data(), g.data(), be.data(),
                              B, C, HW);
    Buf dx_add(n, 0.0f), dx_set(n, 7.0f), dg_add(C, 0.5f), dg_set(C, 0.5f), db_add(C, 0.25f), db_set(C, 0.25f);
    batchnorm2d_backward(dx_add.data(), dg_add.data(), db_add.data(), d.data(), x.data(), g.data(), mean.data(),
                         rstd.data(), B, C, HW);
    batchnorm2d_backward(dx_set.data(), dg_set.data(), db_set.data(), d.data(), x.data(), g.data(), mean.data(),
                         rstd.data(), B, C, HW, /*accumulate=*/false);
    CHECK(std::memcmp(dx_add.data(), dx_set.data(), n * sizeof(float)) == 0);
    CHECK(dg_add == dg_set);
    CHECK(db_add == db_set);
}

TEST_CASE("ch11 batch norm + relu: the backward in place (dinp = dout) gives the bits of a separate dinp") {
    // the conv block writes ∂L/∂conv over ∂L/∂act; on 1, 2 and 3 threads (channel groups of 16, 8, 4, 1)
    Rng rng(34);
    const int B = 3, C = 21, HW = 6001;
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng, -2, 2), g = random_buf(C, rng, 0.5f, 1.5f);
    Buf be = random_buf(C, rng, -0.5f, 0.5f);
    Buf d = random_buf(n, rng), act(n), mean(C), rstd(C);
    batchnorm2d_relu_forward_train(act.data(), mean.data(), rstd.data(), nullptr, nullptr, x.data(), g.data(),
                                   be.data(), B, C, HW);
    for (int threads : {1, 2, 3}) {
        CAPTURE(threads);
        set_threads(threads);
        Buf dout(d), dx(n, 7.0f), dg(C, 0.5f), db(C, 0.25f);
        batchnorm2d_relu_backward(dx.data(), dg.data(), db.data(), dout.data(), act.data(), x.data(),
                                  g.data(), mean.data(), rstd.data(), B, C, HW, /*accumulate=*/false);
        Buf inplace(d), dg2(C, 0.5f), db2(C, 0.25f);
        batchnorm2d_relu_backward(inplace.data(), dg2.data(), db2.data(), inplace.data(), act.data(),
                                  x.data(), g.data(), mean.data(), rstd.data(), B, C, HW,
                                  /*accumulate=*/false);
        CHECK(std::memcmp(dx.data(), inplace.data(), n * sizeof(float)) == 0);
        CHECK((dg == dg2 && db == db2));
    }
    set_threads(0);
}

TEST_CASE("ch11 batch norm + relu in one pass: the bits of batch norm then relu, forward and backward") {
    // batchnorm2d_relu_* against batchnorm2d_* and relu_forward / relu_backward (into a cleared buffer,
    // as the conv block did), bit for bit: training and evaluation forward, the backward with and
    // without accumulate, on 1 and 2 threads. 21 channels take groups of 16, 8, 4 and 1 (channel_group);
    // dout has zeros and −0s, and out has zeros (relu's kink) where the norm's output is negative.
    Rng rng(33);
    const int B = 3, C = 21, HW = 45;
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng, -2, 2), g = random_buf(C, rng, 0.5f, 1.5f), be = random_buf(C, rng, -0.5f, 0.5f);
    Buf d = random_buf(n, rng);
    for (size_t i = 0; i < n; i += 5) d[i] = (i % 2) ? 0.0f : -0.0f;
    for (int threads : {1, 2}) {
        CAPTURE(threads);
        set_threads(threads);
        Buf bn(n), act(n), fused(n), mean(C), rstd(C), mean2(C), rstd2(C);
        Buf rm(C, 0.1f), rv(C, 1.2f), rm2(rm), rv2(rv);
        batchnorm2d_forward_train(bn.data(), mean.data(), rstd.data(), rm.data(), rv.data(), x.data(), g.data(),
                                  be.data(), B, C, HW);
        relu_forward(act.data(), bn.data(), (int)n);
        batchnorm2d_relu_forward_train(fused.data(), mean2.data(), rstd2.data(), rm2.data(), rv2.data(), x.data(),
                                       g.data(), be.data(), B, C, HW);
        CHECK(std::memcmp(act.data(), fused.data(), n * sizeof(float)) == 0);
        CHECK((mean == mean2 && rstd == rstd2 && rm == rm2 && rv == rv2));
        Buf ev(n), ev_fused(n);
        batchnorm2d_forward_eval(ev.data(), x.data(), g.data(), be.data(), rm.data(), rv.data(), B, C, HW);
        relu_forward(ev.data(), ev.data(), (int)n);
        batchnorm2d_relu_forward_eval(ev_fused.data(), x.data(), g.data(), be.data(), rm.data(), rv.data(), B, C, HW);
        CHECK(std::memcmp(ev.data(), ev_fused.data(), n * sizeof(float)) == 0);
        for (bool accumulate : {true, false}) {
            CAPTURE(accumulate);
            Buf dbn(n, 3.0f), dx(n, 0.5f), dx_fused(dx), dg(C, 0.5f), dg_fused(dg), db(C, 0.25f), db_fused(db);
            relu_backward(dbn.data(), d.data(), bn.data(), (int)n, /*accumulate=*/false);
            batchnorm2d_backward(dx.data(), dg.data(), db.data(), dbn.data(), x.data(), g.data(), mean.data(),
                                 rstd.data(), B, C, HW, accumulate);
            Buf dout(d);  // overwritten with the relu's gradient
            batchnorm2d_relu_backward(dx_fused.data(), dg_fused.data(), db_fused.data(), dout.data(), fused.data(),
                                      x.data(), g.data(), mean.data(), rstd.data(), B, C, HW, accumulate);
            CHECK(std::memcmp(dx.data(), dx_fused.data(), n * sizeof(float)) == 0);
            CHECK((dg == dg_fused && db == db_fused));
            CHECK(std::memcmp(dout.data(), dbn.data(), n * sizeof(float)) == 0);
        }
    }
    set_threads(0);
}

TEST_CASE("ch11 conv block: backward matches finite differences") {
    OneThread one;
    Rng rng(12);
    const int B = 2;
    ConvBlockDims d;
    d.C_in = 2, d.C = 3, d.H = 5;
    const size_t n_in = (size_t)B * d.C_in * d.H * d.H, n = d.out_size(B);
    Buf x = random_buf(n_in, rng), W = random_buf((size_t)d.C * d.C_in * 9, rng, -0.5f, 0.5f);
    Buf g = random_buf(d.C, rng, 0.5f, 1.5f), b = random_buf(d.C, rng, 0.0f, 0.5f), R = random_buf(n, rng);
    Buf rm(d.C, 0.0f), rv(d.C, 1.0f), cols(d.cols_size(B));
    ConvBlockActs a;
    a.resize(B, d);
    ConvBlockWeights w{W.data(), g.data(), b.data(), rm.data(), rv.data()};
    std::vector<int> signs0;
    auto signs = [&] {
        std::vector<int> s;
        for (size_t i = 0; i < n; i++) s.push_back(a.act[i] > 0);  // act > 0 where BN's output is
        return s;
    };
    auto loss = [&]() -> double {
        conv_block_forward(a, cols.data(), x.data(), w, B, d, true);
        return signs() == signs0 ? dot_double(a.act.data(), R.data(), n) : NAN;
    };
    conv_block_forward(a, cols.data(), x.data(), w, B, d, true);
    signs0 = signs();
    Buf dx(n_in, 0.0f), dW(W.size(), 0.0f), dg(d.C, 0.0f), db(d.C, 0.0f);
    std::copy(R.begin(), R.end(), a.dact.begin());
    conv_block_backward(dx.data(), dW.data(), dg.data(), db.data(), a, cols.data(), x.data(), w, B, d);
    check_gradient("conv block dx", loss, x.data(), dx.data(), n_in, opts());
    check_gradient("conv block dW", loss, W.data(), dW.data(), W.size(), opts());
    check_gradient("conv block dgamma", loss, g.data(), dg.data(), d.C, opts());
    check_gradient("conv block dbeta", loss, b.data(), db.data(), d.C, opts());
    // the same forward and backward again: the same gradients (the block's scratch is cleared first)
    conv_block_forward(a, cols.data(), x.data(), w, B, d, true);
    std::copy(R.begin(), R.end(), a.dact.begin());
    Buf dx2(n_in, 0.0f), dW2(W.size(), 0.0f), dg2(d.C, 0.0f), db2(d.C, 0.0f);
    conv_block_backward(dx2.data(), dW2.data(), dg2.data(), db2.data(), a, cols.data(), x.data(), w, B, d);
    size_t differ = 0;
    for (size_t i = 0; i < n_in; i++) differ += dx2[i] != dx[i];
    for (size_t i = 0; i < W.size(); i++) differ += dW2[i] != dW[i];
    for (int c = 0; c < d.C; c++) differ += (dg2[c] != dg[c]) + (db2[c] != db[c]);
    CHECK(differ == 0);
}

TEST_CASE("ch11 SE: a hand-computable excitation; backward matches finite differences") {
    OneThread one;
    {   // zero weights: e = σ(b2) for every image; out = e·x
        const int B = 1, C = 2, Cr = 1, HW = 2;
        const float x[4] = {1, 2, 3, 4}, W1[2] = {0, 0}, b1[1] = {0}, W2[2] = {0, 0}, b2[2] = {0, 1};
        float out[4];
        SEActs a;
        a.resize(B, C, Cr);
        se_forward(out, a, x, W1, b1, W2, b2, B, C, Cr, HW);
        const float s1 = 1.0f / (1.0f + std::exp(-1.0f));
        CHECK(a.s[0] == doctest::Approx(1.5f));
        CHECK(a.s[1] == doctest::Approx(3.5f));
        CHECK(out[1] == doctest::Approx(0.5f * 2));
        CHECK(out[3] == doctest::Approx(s1 * 4));
    }
    Rng rng(13);
    const int B = 3, C = 6, Cr = 3, HW = 5;
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng), W1 = random_buf((size_t)Cr * C, rng), b1 = random_buf(Cr, rng, 0.1f, 0.5f);
    Buf W2 = random_buf((size_t)C * Cr, rng), b2 = random_buf(C, rng), R = random_buf(n, rng), out(n);
    SEActs a;
    a.resize(B, C, Cr);
    std::vector<int> k0;
    auto kinks = [&] {
        std::vector<int> k;
        for (int i = 0; i < B * Cr; i++) k.push_back(a.h[i] > 0);
        return k;
    };
    auto loss = [&]() -> double {
        se_forward(out.data(), a, x.data(), W1.data(), b1.data(), W2.data(), b2.data(), B, C, Cr, HW);
        return kinks() == k0 ? dot_double(out.data(), R.data(), n) : NAN;
    };
    se_forward(out.data(), a, x.data(), W1.data(), b1.data(), W2.data(), b2.data(), B, C, Cr, HW);
    k0 = kinks();
    Buf dx(n, 0.0f), dW1(W1.size(), 0.0f), db1(Cr, 0.0f), dW2(W2.size(), 0.0f), db2(C, 0.0f);
    se_backward(dx.data(), dW1.data(), db1.data(), dW2.data(), db2.data(), a, R.data(), x.data(), W1.data(), W2.data(),
                B, C, Cr, HW);
    check_gradient("SE dx", loss, x.data(), dx.data(), n, opts());
    check_gradient("SE dW1", loss, W1.data(), dW1.data(), W1.size(), opts());
    check_gradient("SE db1", loss, b1.data(), db1.data(), Cr, opts());
    check_gradient("SE dW2", loss, W2.data(), dW2.data(), W2.size(), opts());
    check_gradient("SE db2", loss, b2.data(), db2.data(), C, opts());
    // the same forward and backward again, into weight gradients that hold 1: each gets 1 + the same
    // gradient (the block's scratch is cleared first); dx, holding NaN, is written over: the same dx
    se_forward(out.data(), a, x.data(), W1.data(), b1.data(), W2.data(), b2.data(), B, C, Cr, HW);
    Buf ex(n, NAN), eW1(W1.size(), 1.0f), eb1(Cr, 1.0f), eW2(W2.size(), 1.0f), eb2(C, 1.0f);
    se_backward(ex.data(), eW1.data(), eb1.data(), eW2.data(), eb2.data(), a, R.data(), x.data(), W1.data(), W2.data(),
                B, C, Cr, HW);
    CHECK(std::memcmp(ex.data(), dx.data(), n * sizeof(float)) == 0);
    CHECK(added_onto_ones(eW1, dW1) + added_onto_ones(eb1, db1) + added_onto_ones(eW2, dW2) +
              added_onto_ones(eb2, db2) ==
          0);
}

TEST_CASE("ch11 CBAM channel attention: backward matches finite differences") {
    OneThread one;
    Rng rng(14);
    const int B = 3, C = 6, Cr = 3, HW = 5;
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng), W1 = random_buf((size_t)Cr * C, rng), b1 = random_buf(Cr, rng, 0.1f, 0.5f);
    Buf W2 = random_buf((size_t)C * Cr, rng), b2 = random_buf(C, rng), R = random_buf(n, rng), out(n);
    ChannelAttnActs a;
    a.resize(B, C, Cr);
    std::vector<int> k0;
    auto kinks = [&] {
        std::vector<int> k(a.argmax.begin(), a.argmax.end());
        for (int i = 0; i < 2 * B * Cr; i++) k.push_back(a.h[i] > 0);
        return k;
    };
    auto fwd = [&] {
        channel_attention_forward(out.data(), a, x.data(), W1.data(), b1.data(), W2.data(), b2.data(), B, C, Cr, HW);
    };
    auto loss = [&]() -> double {
        fwd();
        return kinks() == k0 ? dot_double(out.data(), R.data(), n) : NAN;
    };
    fwd();
    k0 = kinks();
    Buf dx(n, 0.0f), dW1(W1.size(), 0.0f), db1(Cr, 0.0f), dW2(W2.size(), 0.0f), db2(C, 0.0f);
    channel_attention_backward(dx.data(), dW1.data(), db1.data(), dW2.data(), db2.data(), a, R.data(), x.data(),
                               W1.data(), W2.data(), B, C, Cr, HW);
    check_gradient("channel attention dx", loss, x.data(), dx.data(), n, opts());
    check_gradient("channel attention dW1", loss, W1.data(), dW1.data(), W1.size(), opts());
    check_gradient("channel attention db1", loss, b1.data(), db1.data(), Cr, opts());
    check_gradient("channel attention dW2", loss, W2.data(), dW2.data(), W2.size(), opts());
    check_gradient("channel attention db2", loss, b2.data(), db2.data(), C, opts());
    // the same forward and backward again, into buffers that hold 1: each gets 1 + the same gradient
    // (the block's scratch is cleared first; dx is added into, not assigned)
    fwd();
    Buf ex(n, 1.0f), eW1(W1.size(), 1.0f), eb1(Cr, 1.0f), eW2(W2.size(), 1.0f), eb2(C, 1.0f);
    channel_attention_backward(ex.data(), eW1.data(), eb1.data(), eW2.data(), eb2.data(), a, R.data(), x.data(),
                               W1.data(), W2.data(), B, C, Cr, HW);
    CHECK(added_onto_ones(ex, dx) + added_onto_ones(eW1, dW1) + added_onto_ones(eb1, db1) +
              added_onto_ones(eW2, dW2) + added_onto_ones(eb2, db2) ==
          0);
}

// One element past every buffer a block's forward writes, set to a guard value that must still be there
// afterwards: 7, but -7 for h, whose relu would copy a 7 into z's guard. The input x has a plane of huge
// values past its end, which a read one plane too far would carry into the output.
namespace {
struct Guarded {
    Buf* buf;
    float value;
};
void add_guards(std::initializer_list<Guarded> gs) {
    for (const Guarded& g : gs) g.buf->push_back(g.value);
}
size_t guards_moved(std::initializer_list<Guarded> gs) {
    size_t moved = 0;
    for (const Guarded& g : gs) moved += g.buf->back() != g.value;
    return moved;
}
}  // namespace

TEST_CASE("ch11 SE and CBAM channel attention: the forwards write nothing past their buffers") {
    OneThread one;
    Rng rng(15);
    const int B = 2, C = 4, Cr = 2, HW = 5;
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng), W1 = random_buf((size_t)Cr * C, rng), b1 = random_buf(Cr, rng);
    Buf W2 = random_buf((size_t)C * Cr, rng), b2 = random_buf(C, rng);
    x.resize(n + HW, 1e6f);  // past the end: a plane of huge values
    Buf out(n, 0.0f);
    SUBCASE("SE") {
        SEActs a;
        a.resize(B, C, Cr);
        const auto guards = {Guarded{&out, 7}, Guarded{&a.s, 7}, Guarded{&a.h, -7}, Guarded{&a.z, 7},
                             Guarded{&a.u, 7}, Guarded{&a.e, 7}};
        add_guards(guards);
        se_forward(out.data(), a, x.data(), W1.data(), b1.data(), W2.data(), b2.data(), B, C, Cr, HW);
        CHECK(guards_moved(guards) == 0);
        for (size_t i = 0; i < n; i++) CHECK_MESSAGE(std::fabs(out[i]) < 1e3f, "out[" << i << "] read past x");
    }
    SUBCASE("CBAM channel attention") {
        ChannelAttnActs a;
        a.resize(B, C, Cr);
        const auto guards = {Guarded{&out, 7}, Guarded{&a.pooled, 7}, Guarded{&a.h, -7}, Guarded{&a.z, 7},
                             Guarded{&a.o, 7}, Guarded{&a.u, 7}, Guarded{&a.e, 7}};
        add_guards(guards);
        channel_attention_forward(out.data(), a, x.data(), W1.data(), b1.data(), W2.data(), b2.data(), B, C, Cr,
                                  HW);
        CHECK(guards_moved(guards) == 0);
        for (size_t i = 0; i < n; i++) CHECK_MESSAGE(std::fabs(out[i]) < 1e3f, "out[" << i << "] read past x");
    }
}

TEST_CASE("ch11 CBAM spatial attention: the direct conv equals conv2d; backward matches finite differences") {
    OneThread one;
    Rng rng(15);
    const int B = 2, C = 4, H = 6, k = 5, HW = H * H;
    const size_t n = (size_t)B * C * HW;
    Buf x = random_buf(n, rng), W = random_buf((size_t)2 * k * k, rng, -0.3f, 0.3f), b = random_buf(1, rng);
    Buf R = random_buf(n, rng), out(n);
    SpatialAttnActs a;
    a.resize(B, HW);
    spatial_attention_forward(out.data(), a, x.data(), W.data(), b.data(), B, C, H, k);
    // the direct k×k conv against the project's conv2d (its naive twin)
    Buf ref((size_t)B * HW);
    conv2d_forward_naive(ref.data(), a.desc.data(), W.data(), b.data(), B, 2, H, H, 1, k, k, 1, k / 2);
    for (size_t i = 0; i < ref.size(); i++) CHECK(a.logit[i] == doctest::Approx(ref[i]).epsilon(1e-5));
    const std::vector<int> k0 = a.argmax;
    auto loss = [&]() -> double {
        spatial_attention_forward(out.data(), a, x.data(), W.data(), b.data(), B, C, H, k);
        return a.argmax == k0 ? dot_double(out.data(), R.data(), n) : NAN;
    };
    loss();
    Buf dx(n, 0.0f), dW(W.size(), 0.0f), db(1, 0.0f);
    spatial_attention_backward(dx.data(), dW.data(), db.data(), a, R.data(), x.data(), W.data(), B, C, H, k);
    check_gradient("spatial attention dx", loss, x.data(), dx.data(), n, opts());
    check_gradient("spatial attention dW", loss, W.data(), dW.data(), W.size(), opts());
    check_gradient("spatial attention db", loss, b.data(), db.data(), 1, opts());
}
