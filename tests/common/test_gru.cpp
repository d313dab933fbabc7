// Tests for common/nn/gru and the bidirectional GRU of common/nn/rnn_sequence: gradient checks of the
// cell, the unrolled sequence with mixed lengths and the bidirectional wrapper; padding semantics;
// thread-count invariance; PyTorch nn.GRU with pack_padded_sequence (tests/fixtures/conv_rnn.txt).
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "common/core/error.hpp"
#include "common/nn/gru.hpp"
#include "common/nn/rnn_sequence.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/fixture.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;

// values in [-1, 1] for every parameter of a ParamSet
static void fill_params(ParamSet& ps, Rng& rng) { fill_uniform(ps.value.data(), ps.value.size(), rng); }

// check every parameter gradient of ps (already computed into ps.grad) against the loss
static void check_params(ParamSet& ps, const std::function<double()>& loss) {
    for (const auto& e : ps.entries())
        check_gradient(e.name, loss, ps.data(e), ps.grad_of(e), e.size);
}

TEST_CASE("gru cell: gradient check on x, h and every weight") {
    Rng rng(1);
    const int B = 2, C = 3, H = 4;
    ParamSet ps;
    GRUParams p;
    gru_declare(ps, p, "gru", C, H);
    ps.allocate();
    fill_params(ps, rng);
    Buf x = random_buf((size_t)B * C, rng), h = random_buf((size_t)B * H, rng), R = random_buf((size_t)B * H, rng);
    Buf h_new(B * H), gates(B * 3 * H), ghn(B * H), scratch(gru_cell_scratch_size(B, H));
    auto loss = [&] {
        gru_cell_forward(h_new.data(), gates.data(), ghn.data(), x.data(), h.data(), p, B, C, H, scratch.data());
        return dot_double(h_new.data(), R.data(), h_new.size());
    };
    loss();
    Buf dx(x.size(), 0.0f), dh(h.size(), 0.0f);
    ps.zero_grad();
    gru_cell_backward(dx.data(), dh.data(), p, R.data(), gates.data(), ghn.data(), x.data(), h.data(), B, C, H,
                      scratch.data());
    check_gradient("gru cell dx", loss, x.data(), dx.data(), dx.size());
    check_gradient("gru cell dh", loss, h.data(), dh.data(), dh.size());
    check_params(ps, loss);
}

TEST_CASE("gru cell: weights packed once for the backward pass give the unpacked backward's bits") {
    // Sizes whose products dgi · W_ih (8 × 72 · 72 × 40) and dgh · W_hh take the packed kernels
    Rng rng(2);
    const int B = 8, C = 40, H = 24;
    ParamSet ps;
    GRUParams p, other;
    gru_declare(ps, p, "gru", C, H);
    gru_declare(ps, other, "other", C, H);
    ps.allocate();
    fill_params(ps, rng);
    Buf x = random_buf((size_t)B * C, rng), h = random_buf((size_t)B * H, rng), R = random_buf((size_t)B * H, rng);
    Buf h_new(B * H), gates(B * 3 * H), ghn(B * H), scratch(gru_cell_scratch_size(B, H));
    gru_cell_forward(h_new.data(), gates.data(), ghn.data(), x.data(), h.data(), p, B, C, H, scratch.data());
    GRUCellPacked packed, packed_other;
    gru_cell_pack_backward(packed, p, C, H);
    gru_cell_pack_backward(packed_other, other, C, H);
    // what the backward adds into dx, dh and the gradients, from the same non-zero start each time
    auto backward = [&](const GRUCellPacked* pk) {
        Buf dx(x.size(), 0.5f), dh(h.size(), -0.25f);
        ps.zero_grad();
        gru_cell_backward(dx.data(), dh.data(), p, R.data(), gates.data(), ghn.data(), x.data(), h.data(), B, C, H,
                          scratch.data(), pk);
        Buf all(dx);
        for (const Buf* b : {&dh, &ps.grad}) all.insert(all.end(), b->begin(), b->end());
        return all;
    };
    const Buf plain = backward(nullptr), with_pack = backward(&packed), other_pack = backward(&packed_other);
    CHECK(std::memcmp(plain.data(), with_pack.data(), plain.size() * sizeof(float)) == 0);
    // a pack of other weights is not used (the products read p's own weights)
    CHECK(std::memcmp(plain.data(), other_pack.data(), plain.size() * sizeof(float)) == 0);
}

// A GRU over a padded batch: the model of the gradient checks below.
struct GRUSetup {
    int B = 3, T = 4, C = 3, H = 4;
    std::vector<int> lengths{4, 2, 1};
    ParamSet ps;
    GRUParams p;
    GRUCache cache;
    Buf inp, h0, R, Rh, out, hT;
    explicit GRUSetup(Rng& rng) {
        gru_declare(ps, p, "gru", C, H);
        ps.allocate();
        fill_params(ps, rng);
        gru_cache_init(cache, B, T, C, H);
        inp = random_buf((size_t)B * T * C, rng), h0 = random_buf((size_t)B * H, rng);
        R = random_buf((size_t)B * T * H, rng), Rh = random_buf((size_t)B * H, rng);
        out.resize(R.size()), hT.resize(Rh.size());
    }
    double loss(bool reverse) {
        gru_sequence_forward(out.data(), hT.data(), cache, inp.data(), h0.data(), lengths.data(), p, B, T, C, H, reverse);
        return dot_double(out.data(), R.data(), out.size()) + dot_double(hT.data(), Rh.data(), hT.size());
    }
};

TEST_CASE("gru sequence: gradient check with mixed lengths {4,2,1} on inputs, h0 and every weight") {
    for (bool reverse : {false, true}) {
        CAPTURE(reverse);
        Rng rng(2);
        GRUSetup s(rng);
        auto loss = [&] { return s.loss(reverse); };
        loss();
        Buf dinp(s.inp.size(), 0.0f), dh0(s.h0.size(), 0.0f);
        s.ps.zero_grad();
        gru_sequence_backward(dinp.data(), dh0.data(), s.p, s.R.data(), s.Rh.data(), s.cache, s.inp.data(),
                              s.lengths.data(), s.B, s.T, s.C, s.H, reverse);
        check_gradient("gru dinp", loss, s.inp.data(), dinp.data(), dinp.size());
        check_gradient("gru dh0", loss, s.h0.data(), dh0.data(), dh0.size());
        check_params(s.ps, loss);
        // padding positions of the input are never read: their gradient is exactly 0
        for (int b = 0; b < s.B; b++)
            for (int t = s.lengths[b]; t < s.T; t++)
                for (int c = 0; c < s.C; c++) CHECK(dinp[((size_t)b * s.T + t) * s.C + c] == 0.0f);
    }
}

TEST_CASE("gru sequence: padding outputs are 0, hT is the state at len-1, a step equals the cell") {
    Rng rng(3);
    GRUSetup s(rng);
    s.loss(false);
    for (int b = 0; b < s.B; b++) {
        for (int t = s.lengths[b]; t < s.T; t++)
            for (int j = 0; j < s.H; j++) CHECK(s.out[((size_t)b * s.T + t) * s.H + j] == 0.0f);
        for (int j = 0; j < s.H; j++)
            CHECK(s.hT[(size_t)b * s.H + j] == s.out[((size_t)b * s.T + s.lengths[b] - 1) * s.H + j]);
    }
    // the first output of row 0 is one cell step from h0
    Buf x0(s.inp.begin(), s.inp.begin() + s.C), h0(s.h0.begin(), s.h0.begin() + s.H);
    Buf h1(s.H), gates(3 * s.H), ghn(s.H), scratch(gru_cell_scratch_size(1, s.H));
    gru_cell_forward(h1.data(), gates.data(), ghn.data(), x0.data(), h0.data(), s.p, 1, s.C, s.H, scratch.data());
    CHECK(max_abs_diff(h1.data(), s.out.data(), s.H) < 1e-6);
    // reverse: row 1 (length 2) reads position 1 first, so its output at position 1 is one step from h0
    s.loss(true);
    Buf x11(s.inp.begin() + (1 * s.T + 1) * s.C, s.inp.begin() + (1 * s.T + 2) * s.C);
    Buf h01(s.h0.begin() + s.H, s.h0.begin() + 2 * s.H);
    gru_cell_forward(h1.data(), gates.data(), ghn.data(), x11.data(), h01.data(), s.p, 1, s.C, s.H, scratch.data());
    CHECK(max_abs_diff(h1.data(), s.out.data() + (1 * s.T + 1) * s.H, s.H) < 1e-6);
}

TEST_CASE("gru sequence: bad lengths and a too-small cache are clear errors") {
    Rng rng(4);
    GRUSetup s(rng);
    s.lengths = {4, 0, 1};
    CHECK_THROWS_WITH_AS(s.loss(false), doctest::Contains("lengths[1] in 1..4, found 0"), Error);
    s.lengths = {4, 5, 1};
    CHECK_THROWS_AS(s.loss(false), Error);
    s.lengths = {4, 2, 1};
    gru_cache_init(s.cache, 2, s.T, s.C, s.H);
    CHECK_THROWS_WITH_AS(s.loss(false), doctest::Contains("gru_cache_init"), Error);
}

TEST_CASE("bigru: gradient check with mixed lengths on inputs, both h0 and every weight") {
    Rng rng(5);
    const int B = 3, T = 4, C = 3, H = 3;
    int lengths[3] = {2, 4, 1};
    ParamSet ps;
    BiGRUParams p;
    bigru_declare(ps, p, "enc", C, H);
    ps.allocate();
    fill_params(ps, rng);
    BiGRUCache cache;
    bigru_cache_init(cache, B, T, C, H);
    Buf inp = random_buf((size_t)B * T * C, rng), h0 = random_buf((size_t)2 * B * H, rng);
    Buf R = random_buf((size_t)B * T * 2 * H, rng), Rh = random_buf((size_t)2 * B * H, rng);
    Buf out(R.size()), hT(Rh.size());
    auto loss = [&] {
        bigru_forward(out.data(), hT.data(), cache, inp.data(), h0.data(), lengths, p, B, T, C, H);
        return dot_double(out.data(), R.data(), out.size()) + dot_double(hT.data(), Rh.data(), hT.size());
    };
    loss();
    Buf dinp(inp.size(), 0.0f), dh0(h0.size(), 0.0f);
    ps.zero_grad();
    bigru_backward(dinp.data(), dh0.data(), p, R.data(), Rh.data(), cache, inp.data(), lengths, B, T, C, H);
    check_gradient("bigru dinp", loss, inp.data(), dinp.data(), dinp.size());
    check_gradient("bigru dh0", loss, h0.data(), dh0.data(), dh0.size());
    check_params(ps, loss);
}

TEST_CASE("gru sequence: forward and backward bit-identical on 1, 2 and 3 threads") {
    std::vector<Buf> results;
    for (int threads : {1, 2, 3}) {
        set_threads(threads);
        Rng rng(6);
        GRUSetup s(rng);
        s.loss(false);
        Buf dinp(s.inp.size(), 0.0f), dh0(s.h0.size(), 0.0f);
        s.ps.zero_grad();
        gru_sequence_backward(dinp.data(), dh0.data(), s.p, s.R.data(), s.Rh.data(), s.cache, s.inp.data(),
                              s.lengths.data(), s.B, s.T, s.C, s.H);
        Buf all(s.out);
        for (const Buf* b : {&s.hT, &dinp, &dh0, &s.ps.grad}) all.insert(all.end(), b->begin(), b->end());
        results.push_back(all);
    }
    set_threads(0);
    CHECK(std::memcmp(results[0].data(), results[1].data(), results[0].size() * sizeof(float)) == 0);
    CHECK(std::memcmp(results[0].data(), results[2].data(), results[0].size() * sizeof(float)) == 0);
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

TEST_CASE("gru sequence and bigru: match PyTorch nn.GRU with pack_padded_sequence") {
    Fixture fx = load_fixture("conv_rnn.txt");
    for (std::string tag : {"gru", "bigru"}) {
        CAPTURE(tag);
        const bool bi = tag == "bigru";
        const auto& x = get(fx, tag + ".x");
        const int B = x.shape[0], T = x.shape[1], C = x.shape[2], H = get(fx, tag + ".h0").shape[2], D = bi ? 2 : 1;
        std::vector<int> lengths;
        for (float l : get(fx, tag + ".lengths").v) lengths.push_back((int)l);
        ParamSet ps;
        BiGRUParams p;
        if (bi) bigru_declare(ps, p, "enc", C, H);
        else gru_declare(ps, p.fwd, "gru", C, H);
        ps.allocate();
        std::vector<std::pair<std::string, GRUParams*>> dirs = {{bi ? "fwd." : "", &p.fwd}};
        if (bi) dirs.push_back({"bwd.", &p.bwd});
        for (auto& [d, g] : dirs) {
            load_into(fx, tag + "." + d + "W_ih", g->W_ih.data, g->W_ih.size);
            load_into(fx, tag + "." + d + "W_hh", g->W_hh.data, g->W_hh.size);
            load_into(fx, tag + "." + d + "b_ih", g->b_ih.data, g->b_ih.size);
            load_into(fx, tag + "." + d + "b_hh", g->b_hh.data, g->b_hh.size);
        }
        Buf inp(x.v.begin(), x.v.end()), h0(get(fx, tag + ".h0").v.begin(), get(fx, tag + ".h0").v.end());
        Buf out((size_t)B * T * D * H), hT((size_t)D * B * H), dinp(inp.size(), 0.0f), dh0(h0.size(), 0.0f);
        const float* R = get(fx, tag + ".R").v.data();
        const float* Rh = get(fx, tag + ".Rh").v.data();
        if (bi) {
            BiGRUCache cache;
            bigru_cache_init(cache, B, T, C, H);
            bigru_forward(out.data(), hT.data(), cache, inp.data(), h0.data(), lengths.data(), p, B, T, C, H);
            bigru_backward(dinp.data(), dh0.data(), p, R, Rh, cache, inp.data(), lengths.data(), B, T, C, H);
        } else {
            GRUCache cache;
            gru_cache_init(cache, B, T, C, H);
            gru_sequence_forward(out.data(), hT.data(), cache, inp.data(), h0.data(), lengths.data(), p.fwd, B, T, C, H);
            gru_sequence_backward(dinp.data(), dh0.data(), p.fwd, R, Rh, cache, inp.data(), lengths.data(), B, T, C, H);
        }
        check_close(fx, tag + ".out", out.data(), out.size());
        check_close(fx, tag + ".hn", hT.data(), hT.size());
        check_close(fx, tag + ".dx", dinp.data(), dinp.size());
        check_close(fx, tag + ".dh0", dh0.data(), dh0.size());
        for (auto& [d, g] : dirs) {
            check_close(fx, tag + ".d" + d + "W_ih", g->W_ih.grad, g->W_ih.size);
            check_close(fx, tag + ".d" + d + "W_hh", g->W_hh.grad, g->W_hh.size);
            check_close(fx, tag + ".d" + d + "b_ih", g->b_ih.grad, g->b_ih.size);
            check_close(fx, tag + ".d" + d + "b_hh", g->b_hh.grad, g->b_hh.size);
        }
    }
}
