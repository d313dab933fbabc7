// Tests for common/nn/lstm and the bidirectional LSTM of common/nn/rnn_sequence: gradient checks of the
// cell (through h and c), the sequence with mixed lengths in both directions and the bidirectional
// wrapper; padding semantics; PyTorch nn.LSTM with pack_padded_sequence (tests/fixtures/conv_rnn.txt).
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "common/nn/lstm.hpp"
#include "common/nn/rnn_sequence.hpp"
#include "tests/fixture.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;

static void check_params(ParamSet& ps, const std::function<double()>& loss) {
    for (const auto& e : ps.entries())
        check_gradient(e.name, loss, ps.data(e), ps.grad_of(e), e.size);
}

TEST_CASE("lstm cell: gradient check on x, h, c and every weight, through both h_new and c_new") {
    Rng rng(1);
    const int B = 2, C = 3, H = 4;
    ParamSet ps;
    LSTMParams p;
    lstm_declare(ps, p, "lstm", C, H);
    ps.allocate();
    fill_uniform(ps.value.data(), ps.value.size(), rng);
    Buf x = random_buf((size_t)B * C, rng), h = random_buf((size_t)B * H, rng), c = random_buf((size_t)B * H, rng);
    Buf Rh = random_buf((size_t)B * H, rng), Rc = random_buf((size_t)B * H, rng);
    Buf h_new(B * H), c_new(B * H), gates(B * 4 * H), tc(B * H), scratch(lstm_cell_scratch_size(B, H));
    auto loss = [&] {
        lstm_cell_forward(h_new.data(), c_new.data(), gates.data(), tc.data(), x.data(), h.data(), c.data(), p, B, C,
                          H, scratch.data());
        return dot_double(h_new.data(), Rh.data(), h_new.size()) + dot_double(c_new.data(), Rc.data(), c_new.size());
    };
    loss();
    Buf dx(x.size(), 0.0f), dh(h.size(), 0.0f), dc(c.size(), 0.0f);
    ps.zero_grad();
    lstm_cell_backward(dx.data(), dh.data(), dc.data(), p, Rh.data(), Rc.data(), gates.data(), tc.data(), x.data(),
                       h.data(), c.data(), B, C, H, scratch.data());
    check_gradient("lstm cell dx", loss, x.data(), dx.data(), dx.size());
    check_gradient("lstm cell dh", loss, h.data(), dh.data(), dh.size());
    check_gradient("lstm cell dc", loss, c.data(), dc.data(), dc.size());
    check_params(ps, loss);
}

struct LSTMSetup {
    int B = 3, T = 4, C = 3, H = 4;
    std::vector<int> lengths{4, 2, 1};
    ParamSet ps;
    LSTMParams p;
    LSTMCache cache;
    Buf inp, h0, c0, R, Rh, Rc, out, hT, cT;
    explicit LSTMSetup(Rng& rng) {
        lstm_declare(ps, p, "lstm", C, H);
        ps.allocate();
        fill_uniform(ps.value.data(), ps.value.size(), rng);
        lstm_cache_init(cache, B, T, C, H);
        inp = random_buf((size_t)B * T * C, rng);
        h0 = random_buf((size_t)B * H, rng), c0 = random_buf((size_t)B * H, rng);
        R = random_buf((size_t)B * T * H, rng);
        Rh = random_buf((size_t)B * H, rng), Rc = random_buf((size_t)B * H, rng);
        out.resize(R.size()), hT.resize(Rh.size()), cT.resize(Rc.size());
    }
    double loss(bool reverse) {
        lstm_sequence_forward(out.data(), hT.data(), cT.data(), cache, inp.data(), h0.data(), c0.data(),
                              lengths.data(), p, B, T, C, H, reverse);
        return dot_double(out.data(), R.data(), out.size()) + dot_double(hT.data(), Rh.data(), hT.size()) +
               dot_double(cT.data(), Rc.data(), cT.size());
    }
};

TEST_CASE("lstm sequence: gradient check with mixed lengths {4,2,1} on inputs, h0, c0 and every weight") {
    for (bool reverse : {false, true}) {
        CAPTURE(reverse);
        Rng rng(2);
        LSTMSetup s(rng);
        auto loss = [&] { return s.loss(reverse); };
        loss();
        Buf dinp(s.inp.size(), 0.0f), dh0(s.h0.size(), 0.0f), dc0(s.c0.size(), 0.0f);
        s.ps.zero_grad();
        lstm_sequence_backward(dinp.data(), dh0.data(), dc0.data(), s.p, s.R.data(), s.Rh.data(), s.Rc.data(), s.cache,
                               s.inp.data(), s.lengths.data(), s.B, s.T, s.C, s.H, reverse);
        check_gradient("lstm dinp", loss, s.inp.data(), dinp.data(), dinp.size());
        check_gradient("lstm dh0", loss, s.h0.data(), dh0.data(), dh0.size());
        check_gradient("lstm dc0", loss, s.c0.data(), dc0.data(), dc0.size());
        check_params(s.ps, loss);
    }
}

TEST_CASE("lstm sequence: padding outputs are 0 and hT is the output at len-1") {
    Rng rng(3);
    LSTMSetup s(rng);
    s.loss(false);
    for (int b = 0; b < s.B; b++) {
        for (int t = s.lengths[b]; t < s.T; t++)
            for (int j = 0; j < s.H; j++) CHECK(s.out[((size_t)b * s.T + t) * s.H + j] == 0.0f);
        for (int j = 0; j < s.H; j++)
            CHECK(s.hT[(size_t)b * s.H + j] == s.out[((size_t)b * s.T + s.lengths[b] - 1) * s.H + j]);
    }
    // row 2 has length 1: its (hT, cT) is one cell step from (h0, c0)
    Buf x(s.inp.begin() + 2 * s.T * s.C, s.inp.begin() + (2 * s.T) * s.C + s.C);
    Buf h1(s.H), c1(s.H), gates(4 * s.H), tc(s.H), scratch(lstm_cell_scratch_size(1, s.H));
    lstm_cell_forward(h1.data(), c1.data(), gates.data(), tc.data(), x.data(), s.h0.data() + 2 * s.H,
                      s.c0.data() + 2 * s.H, s.p, 1, s.C, s.H, scratch.data());
    CHECK(max_abs_diff(h1.data(), s.hT.data() + 2 * s.H, s.H) < 1e-6);
    CHECK(max_abs_diff(c1.data(), s.cT.data() + 2 * s.H, s.H) < 1e-6);
}

TEST_CASE("bilstm: gradient check with mixed lengths on inputs, both (h0, c0) and every weight") {
    Rng rng(5);
    const int B = 3, T = 4, C = 3, H = 3;
    int lengths[3] = {2, 4, 1};
    ParamSet ps;
    BiLSTMParams p;
    bilstm_declare(ps, p, "enc", C, H);
    ps.allocate();
    fill_uniform(ps.value.data(), ps.value.size(), rng);
    BiLSTMCache cache;
    bilstm_cache_init(cache, B, T, C, H);
    Buf inp = random_buf((size_t)B * T * C, rng);
    Buf h0 = random_buf((size_t)2 * B * H, rng), c0 = random_buf((size_t)2 * B * H, rng);
    Buf R = random_buf((size_t)B * T * 2 * H, rng);
    Buf Rh = random_buf((size_t)2 * B * H, rng), Rc = random_buf((size_t)2 * B * H, rng);
    Buf out(R.size()), hT(Rh.size()), cT(Rc.size());
    auto loss = [&] {
        bilstm_forward(out.data(), hT.data(), cT.data(), cache, inp.data(), h0.data(), c0.data(), lengths, p, B, T, C,
                       H);
        return dot_double(out.data(), R.data(), out.size()) + dot_double(hT.data(), Rh.data(), hT.size()) +
               dot_double(cT.data(), Rc.data(), cT.size());
    };
    loss();
    Buf dinp(inp.size(), 0.0f), dh0(h0.size(), 0.0f), dc0(c0.size(), 0.0f);
    ps.zero_grad();
    bilstm_backward(dinp.data(), dh0.data(), dc0.data(), p, R.data(), Rh.data(), Rc.data(), cache, inp.data(),
                    lengths, B, T, C, H);
    check_gradient("bilstm dinp", loss, inp.data(), dinp.data(), dinp.size());
    check_gradient("bilstm dh0", loss, h0.data(), dh0.data(), dh0.size());
    check_gradient("bilstm dc0", loss, c0.data(), dc0.data(), dc0.size());
    check_params(ps, loss);
}

// ---- PyTorch reference --------------------------------------------------------------------------

static void load_into(const Fixture& fx, const std::string& name, float* dst, size_t n) {
    const auto& t = get(fx, name);
    REQUIRE(t.v.size() == n);
    std::memcpy(dst, t.v.data(), n * sizeof(float));
}
static void check_close(const Fixture& fx, const std::string& name, const float* ours, size_t n) {
    const auto& t = get(fx, name);
    REQUIRE(t.v.size() == n);
    double d = max_abs_diff(ours, t.v.data(), n);
    CHECK_MESSAGE(d < 1e-5, name << ": max |ours − torch| = " << d);
}

TEST_CASE("lstm sequence and bilstm: match PyTorch nn.LSTM with pack_padded_sequence") {
    Fixture fx = load_fixture("conv_rnn.txt");
    for (std::string tag : {"lstm", "bilstm"}) {
        CAPTURE(tag);
        const bool bi = tag == "bilstm";
        const auto& x = get(fx, tag + ".x");
        const int B = x.shape[0], T = x.shape[1], C = x.shape[2], H = get(fx, tag + ".h0").shape[2], D = bi ? 2 : 1;
        std::vector<int> lengths;
        for (float l : get(fx, tag + ".lengths").v) lengths.push_back((int)l);
        ParamSet ps;
        BiLSTMParams p;
        if (bi) bilstm_declare(ps, p, "enc", C, H);
        else lstm_declare(ps, p.fwd, "lstm", C, H);
        ps.allocate();
        std::vector<std::pair<std::string, LSTMParams*>> dirs = {{bi ? "fwd." : "", &p.fwd}};
        if (bi) dirs.push_back({"bwd.", &p.bwd});
        for (auto& [d, g] : dirs) {
            load_into(fx, tag + "." + d + "W_ih", g->W_ih.data, g->W_ih.size);
            load_into(fx, tag + "." + d + "W_hh", g->W_hh.data, g->W_hh.size);
            load_into(fx, tag + "." + d + "b_ih", g->b_ih.data, g->b_ih.size);
            load_into(fx, tag + "." + d + "b_hh", g->b_hh.data, g->b_hh.size);
        }
        Buf inp(x.v.begin(), x.v.end());
        Buf h0(get(fx, tag + ".h0").v.begin(), get(fx, tag + ".h0").v.end());
        Buf c0(get(fx, tag + ".c0").v.begin(), get(fx, tag + ".c0").v.end());
        Buf out((size_t)B * T * D * H), hT((size_t)D * B * H), cT(hT.size());
        Buf dinp(inp.size(), 0.0f), dh0(h0.size(), 0.0f), dc0(c0.size(), 0.0f);
        const float* R = get(fx, tag + ".R").v.data();
        const float* Rh = get(fx, tag + ".Rh").v.data();
        const float* Rc = get(fx, tag + ".Rc").v.data();
        if (bi) {
            BiLSTMCache cache;
            bilstm_cache_init(cache, B, T, C, H);
            bilstm_forward(out.data(), hT.data(), cT.data(), cache, inp.data(), h0.data(), c0.data(), lengths.data(), p,
                           B, T, C, H);
            bilstm_backward(dinp.data(), dh0.data(), dc0.data(), p, R, Rh, Rc, cache, inp.data(), lengths.data(), B, T,
                            C, H);
        } else {
            LSTMCache cache;
            lstm_cache_init(cache, B, T, C, H);
            lstm_sequence_forward(out.data(), hT.data(), cT.data(), cache, inp.data(), h0.data(), c0.data(),
                                  lengths.data(), p.fwd, B, T, C, H);
            lstm_sequence_backward(dinp.data(), dh0.data(), dc0.data(), p.fwd, R, Rh, Rc, cache, inp.data(),
                                   lengths.data(), B, T, C, H);
        }
        check_close(fx, tag + ".out", out.data(), out.size());
        check_close(fx, tag + ".hn", hT.data(), hT.size());
        check_close(fx, tag + ".cn", cT.data(), cT.size());
        check_close(fx, tag + ".dx", dinp.data(), dinp.size());
        check_close(fx, tag + ".dh0", dh0.data(), dh0.size());
        check_close(fx, tag + ".dc0", dc0.data(), dc0.size());
        for (auto& [d, g] : dirs) {
            check_close(fx, tag + ".d" + d + "W_ih", g->W_ih.grad, g->W_ih.size);
            check_close(fx, tag + ".d" + d + "W_hh", g->W_hh.grad, g->W_hh.size);
            check_close(fx, tag + ".d" + d + "b_ih", g->b_ih.grad, g->b_ih.size);
            check_close(fx, tag + ".d" + d + "b_hh", g->b_hh.grad, g->b_hh.size);
        }
    }
}
