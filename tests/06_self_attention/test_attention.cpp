// Chapter 06's building blocks: scaled dot-product attention (matmul = naive, masks, gradients),
// multi-head attention (gradients; equality with torch.nn.MultiheadAttention), positional encodings.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "chapters/06_self_attention/attention.hpp"
#include "chapters/06_self_attention/multi_head_attention.hpp"
#include "chapters/06_self_attention/positional.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/fixture.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;
using namespace ch06;

namespace {

// Random q, k, v for BH = 2·3 heads, Tq = 4, Tk = 5, hs = 3, with padding (lengths 5, 2) and optionally causal.
struct SdpaCase {
    int B = 2, NH = 3, Tq = 4, Tk = 5, hs = 3;
    std::vector<int> len{5, 2};
    Buf q, k, v, R;
    AttnMask mask(bool causal) const { return AttnMask{len.data(), NH, causal}; }
    int BH() const { return B * NH; }
    explicit SdpaCase(uint64_t seed) {
        Rng rng(seed);
        q = random_buf((size_t)BH() * Tq * hs, rng, -1.5f, 1.5f);
        k = random_buf((size_t)BH() * Tk * hs, rng, -1.5f, 1.5f);
        v = random_buf((size_t)BH() * Tk * hs, rng);
        R = random_buf((size_t)BH() * Tq * hs, rng);
    }
};

}  // namespace

TEST_CASE("sdpa: a hand-computable case — equal scores give equal weights, masked keys get exactly 0") {
    // one head, one query, three keys; q·k_j = 0 for all j, so the kept keys share the weight
    const float q[2] = {0, 0}, k[6] = {1, 2, 3, 4, 5, 6}, v[6] = {1, 0, 0, 1, 7, 7};
    float out[2], att[3];
    const int len = 2;
    sdpa_forward(out, att, q, k, v, AttnMask{&len, 1, false}, 1, 1, 3, 2);
    CHECK(att[0] == doctest::Approx(0.5));
    CHECK(att[1] == doctest::Approx(0.5));
    CHECK(att[2] == 0.0f);  // padding: exactly zero, not small
    CHECK(out[0] == doctest::Approx(0.5));
    CHECK(out[1] == doctest::Approx(0.5));
}

TEST_CASE("sdpa: the matmul version equals the naive loops, forward and backward, with both masks") {
    for (bool causal : {false, true}) {
        SdpaCase c(11 + causal);
        const int BH = c.BH(), Tq = c.Tq, Tk = c.Tk, hs = c.hs;
        const size_t no = (size_t)BH * Tq * hs, na = (size_t)BH * Tq * Tk, nk = (size_t)BH * Tk * hs;
        Buf o1(no), o2(no), a1(na), a2(na);
        sdpa_forward(o1.data(), a1.data(), c.q.data(), c.k.data(), c.v.data(), c.mask(causal), BH, Tq, Tk, hs);
        sdpa_forward_naive(o2.data(), a2.data(), c.q.data(), c.k.data(), c.v.data(), c.mask(causal), BH, Tq, Tk, hs);
        CHECK(max_abs_diff(o1.data(), o2.data(), no) < 1e-6);
        CHECK(max_abs_diff(a1.data(), a2.data(), na) < 1e-6);
        if (causal) CHECK(a1[1] == 0.0f);  // query 0 cannot see key 1
        CHECK(a1[(size_t)3 * Tq * Tk + 2] == 0.0f);  // (b=1,h=0), query 0, key 2 ≥ length 2: padding
        Buf dq1(no), dk1(nk), dv1(nk), dq2(no), dk2(nk), dv2(nk);
        sdpa_backward(dq1.data(), dk1.data(), dv1.data(), c.R.data(), a1.data(), c.q.data(), c.k.data(), c.v.data(),
                      BH, Tq, Tk, hs);
        sdpa_backward_naive(dq2.data(), dk2.data(), dv2.data(), c.R.data(), a1.data(), c.q.data(), c.k.data(),
                            c.v.data(), BH, Tq, Tk, hs);
        CHECK(max_abs_diff(dq1.data(), dq2.data(), no) < 1e-5);
        CHECK(max_abs_diff(dk1.data(), dk2.data(), nk) < 1e-5);
        CHECK(max_abs_diff(dv1.data(), dv2.data(), nk) < 1e-5);
    }
}

TEST_CASE("sdpa: gradients of q, k, v match finite differences (padding + causal)") {
    for (bool causal : {false, true}) {
        SdpaCase c(21 + causal);
        const int BH = c.BH(), Tq = c.Tq, Tk = c.Tk, hs = c.hs;
        const size_t no = (size_t)BH * Tq * hs, nk = (size_t)BH * Tk * hs;
        Buf out(no), att((size_t)BH * Tq * Tk), dq(no), dk(nk), dv(nk);
        auto loss = [&] {
            sdpa_forward(out.data(), att.data(), c.q.data(), c.k.data(), c.v.data(), c.mask(causal), BH, Tq, Tk, hs);
            return dot_double(out.data(), c.R.data(), no);
        };
        loss();
        sdpa_backward(dq.data(), dk.data(), dv.data(), c.R.data(), att.data(), c.q.data(), c.k.data(), c.v.data(), BH,
                      Tq, Tk, hs);
        check_gradient("sdpa dq", loss, c.q.data(), dq.data(), no);
        check_gradient("sdpa dk", loss, c.k.data(), dk.data(), nk);
        check_gradient("sdpa dv", loss, c.v.data(), dv.data(), nk);
    }
}

// ---- multi-head attention ------------------------------------------------------------------

namespace {
struct MhaModel {
    ParamSet ps;
    MHA a;
    MhaModel(int C, int NH, uint64_t seed) {
        mha_declare(a, ps, "attn.", C, NH);
        ps.allocate();
        Rng rng(seed);
        for (float& x : ps.value) x = rng.uniform(-0.6f, 0.6f);  // biases too, so they are tested
    }
};
}  // namespace

TEST_CASE("sdpa: attention dropout — gradients with the same masks, some weights dropped, eval draws nothing") {
    SdpaCase c(31);
    const int BH = c.BH(), Tq = c.Tq, Tk = c.Tk, hs = c.hs;
    const size_t no = (size_t)BH * Tq * hs, nk = (size_t)BH * Tk * hs, na = (size_t)BH * Tq * Tk;
    Buf out(no), att(na), dropped(na), dq(no), dk(nk), dv(nk);
    std::vector<uint8_t> keep(na);
    Rng drop(5);
    uint64_t s0[4];
    std::copy(drop.s, drop.s + 4, s0);
    const AttnDropout d{0.3f, &drop, keep.data(), dropped.data()};
    auto loss = [&] {
        std::copy(s0, s0 + 4, drop.s);  // the same masks at every evaluation
        sdpa_forward(out.data(), att.data(), c.q.data(), c.k.data(), c.v.data(), c.mask(true), BH, Tq, Tk, hs, d);
        return dot_double(out.data(), c.R.data(), no);
    };
    loss();
    int dropped_kept_weights = 0;
    for (size_t i = 0; i < na; i++) {
        dropped_kept_weights += att[i] > 0 && keep[i] == 0;
        CHECK(dropped[i] == doctest::Approx(keep[i] ? att[i] / 0.7f : 0.0f));
    }
    CHECK(dropped_kept_weights > 0);
    sdpa_backward(dq.data(), dk.data(), dv.data(), c.R.data(), att.data(), c.q.data(), c.k.data(), c.v.data(), BH, Tq,
                  Tk, hs, d);
    check_gradient("sdpa+dropout dq", loss, c.q.data(), dq.data(), no);
    check_gradient("sdpa+dropout dk", loss, c.k.data(), dk.data(), nk);
    check_gradient("sdpa+dropout dv", loss, c.v.data(), dv.data(), nk);
    // p = 0 is the plain attention: bit-identical output, and no random number drawn
    Buf plain(no), att0(na);
    sdpa_forward(plain.data(), att0.data(), c.q.data(), c.k.data(), c.v.data(), c.mask(true), BH, Tq, Tk, hs);
    Rng untouched(9);
    const uint64_t before = untouched.s[0];
    Buf out0(no);
    sdpa_forward(out0.data(), att0.data(), c.q.data(), c.k.data(), c.v.data(), c.mask(true), BH, Tq, Tk, hs,
                 AttnDropout{0.0f, &untouched, keep.data(), dropped.data()});
    CHECK(untouched.s[0] == before);
    for (size_t i = 0; i < no; i++) CHECK(out0[i] == plain[i]);
}

TEST_CASE("mha: gradients of inputs and every parameter (self and cross, padding + causal, both kernels)") {
    const int B = 2, C = 6, NH = 2;
    for (int variant = 0; variant < 3; variant++) {
        const bool cross = variant == 2, causal = variant == 1;
        const int Tq = cross ? 3 : 4, Tk = cross ? 5 : 4;
        std::vector<int> len = {Tk, 2};
        MhaModel m(C, NH, 31 + variant);
        Rng rng(41 + variant);
        Buf xq = random_buf((size_t)B * Tq * C, rng), xkv = random_buf((size_t)B * Tk * C, rng);
        Buf R = random_buf((size_t)B * Tq * C, rng), out((size_t)B * Tq * C);
        const float* kv = cross ? xkv.data() : xq.data();
        MHACache cache;
        const AttnMask mask{len.data(), 1, causal};
        for (AttnKernel kernel : {AttnKernel::Matmul, AttnKernel::Naive}) {
            auto loss = [&] {
                mha_forward(out.data(), cache, m.a, xq.data(), cross ? xkv.data() : xq.data(), mask, B, Tq, Tk, kernel);
                return dot_double(out.data(), R.data(), out.size());
            };
            loss();
            m.ps.zero_grad();
            Buf dxq(xq.size()), dxkv(xkv.size());
            mha_backward(dxq.data(), cross ? dxkv.data() : dxq.data(), m.a, cache, R.data(), xq.data(), kv, B, Tq, Tk,
                         kernel);
            Buf grads = m.ps.grad;
            check_gradient("mha dx_q", loss, xq.data(), dxq.data(), xq.size());
            if (cross) check_gradient("mha dx_kv", loss, xkv.data(), dxkv.data(), xkv.size());
            for (const auto& e : m.ps.entries()) {
                // b_k adds q·b_k to every score of a query alike, which the softmax ignores: its true
                // gradient is 0 (the check still compares it with the finite differences, both ~0)
                GradCheckOptions opt;
                opt.allow_zero = e.name == "attn.b_k";
                check_gradient("mha " + e.name, loss, m.ps.data(e), grads.data() + e.offset, e.size, opt);
            }
        }
        // attention dropout is the matmul kernel's alone: the naive kernel refuses it
        Rng drops(5);
        CHECK_THROWS_WITH_AS(mha_forward(out.data(), cache, m.a, xq.data(), kv, mask, B, Tq, Tk, AttnKernel::Naive, 0.5f,
                                         &drops),
                             doctest::Contains("matmul kernel only"), attn::Error);
    }
}

TEST_CASE("mha: equal to torch.nn.MultiheadAttention — outputs, weights and gradients, with masks") {
    const Fixture fx = load_fixture("mha.txt");
    const int B = 2, C = 8, NH = 2;
    ParamSet ps;
    MHA a;
    mha_declare(a, ps, "", C, NH);
    ps.allocate();
    for (const char* n : {"W_q", "b_q", "W_k", "b_k", "W_v", "b_v", "W_o", "b_o"}) {
        const FixtureTensor& t = get(fx, n);
        const auto* e = ps.find(n);
        REQUIRE(e);
        REQUIRE(t.v.size() == e->size);
        std::copy(t.v.begin(), t.v.end(), ps.data(*e));
    }
    for (const std::string c : {"self_", "causal_", "cross_"}) {
        INFO("case " << c);
        const bool cross = c == "cross_";
        const FixtureTensor& xq = get(fx, cross ? "cross_xq" : "x");
        const int Tq = xq.shape[1], Tk = cross ? get(fx, "cross_xkv").shape[1] : Tq;
        const std::vector<int> len = cross ? std::vector<int>{6, 2} : std::vector<int>{5, 3};
        Buf x(xq.v.begin(), xq.v.end()), xkv;
        if (cross) xkv.assign(get(fx, "cross_xkv").v.begin(), get(fx, "cross_xkv").v.end());
        const float* kv = cross ? xkv.data() : x.data();
        Buf out((size_t)B * Tq * C);
        MHACache cache;
        mha_forward(out.data(), cache, a, x.data(), kv, AttnMask{len.data(), 1, c == "causal_"}, B, Tq, Tk);
        CHECK(max_abs_diff(out.data(), get(fx, c + "out").v.data(), out.size()) < 2e-6);
        CHECK(max_abs_diff(cache.att.data(), get(fx, c + "att").v.data(), (size_t)B * NH * Tq * Tk) < 2e-6);
        ps.zero_grad();
        Buf dx(x.size()), dkv(xkv.size());
        const FixtureTensor& R = get(fx, c + "R");
        mha_backward(dx.data(), cross ? dkv.data() : dx.data(), a, cache, R.v.data(), x.data(), kv, B, Tq, Tk);
        CHECK(max_abs_diff(dx.data(), get(fx, c + "dxq").v.data(), dx.size()) < 1e-5);
        if (cross) CHECK(max_abs_diff(dkv.data(), get(fx, c + "dxkv").v.data(), dkv.size()) < 1e-5);
        for (const char* n : {"W_q", "b_q", "W_k", "b_k", "W_v", "b_v", "W_o", "b_o"}) {
            INFO("gradient of " << n);
            CHECK(max_abs_diff(ps.grad_of(*ps.find(n)), get(fx, c + "d" + n).v.data(), ps.find(n)->size) < 1e-5);
        }
    }
}

TEST_CASE("mha: bit-identical outputs and gradients on 1, 2 and 3 threads") {
    const int B = 5, T = 9, C = 16, NH = 4;
    std::vector<int> len = {9, 3, 7, 1, 8};
    std::vector<Buf> outs, grads;
    for (int threads : {1, 2, 3}) {
        set_threads(threads);
        MhaModel m(C, NH, 5);
        Rng rng(6);
        Buf x = random_buf((size_t)B * T * C, rng), R = random_buf(x.size(), rng), out(x.size()), dx(x.size());
        MHACache cache;
        mha_forward(out.data(), cache, m.a, x.data(), x.data(), AttnMask{len.data(), 1, false}, B, T, T);
        mha_backward(dx.data(), dx.data(), m.a, cache, R.data(), x.data(), x.data(), B, T, T);
        outs.push_back(out), grads.push_back(m.ps.grad), grads.back().insert(grads.back().end(), dx.begin(), dx.end());
    }
    set_threads(0);
    for (int i = 1; i < 3; i++) {
        CHECK(outs[i] == outs[0]);
        CHECK(grads[i] == grads[0]);
    }
}

// ---- positional encodings ------------------------------------------------------------------

TEST_CASE("positional: the sinusoidal table by hand, and the learned table's gradient") {
    const int T = 6, C = 4;
    Buf P((size_t)T * C);
    sinusoidal_table(P.data(), T, C);
    CHECK(P[0] == 0.0f);  // sin 0
    CHECK(P[1] == 1.0f);  // cos 0
    CHECK(P[(size_t)3 * C + 0] == doctest::Approx(std::sin(3.0)));
    CHECK(P[(size_t)3 * C + 3] == doctest::Approx(std::cos(3.0 / 100.0)));  // 10000^(2/4) = 100
    // far along, the angle t / 10000^(2i/C) is large and the base shows in every digit; each row is whole
    const int T2 = 2000;
    Buf P2((size_t)T2 * C + 1, 9.0f);  // one float past the table, to catch a write beyond it
    sinusoidal_table(P2.data(), T2, C);
    CHECK(P2[(size_t)1999 * C + 2] == doctest::Approx(std::sin(1999.0 / 100.0)).epsilon(1e-6));
    CHECK(P2[(size_t)1999 * C + 1] == doctest::Approx(std::cos(1999.0)).epsilon(1e-4));
    CHECK(P2[(size_t)T2 * C] == 9.0f);
    Rng rng(3);
    const int B = 2;
    Buf table = random_buf((size_t)T * C, rng), x0 = random_buf((size_t)B * T * C, rng), R = random_buf(x0.size(), rng);
    Buf x(x0.size()), dtable(table.size());
    auto loss = [&] {
        x = x0;
        add_positions_forward(x.data(), table.data(), B, T, C);
        return dot_double(x.data(), R.data(), x.size());
    };
    add_positions_backward(dtable.data(), R.data(), B, T, C);
    check_gradient("learned positions", loss, table.data(), dtable.data(), table.size());
}
