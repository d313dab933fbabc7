// Tests for common/nn/dropout and common/nn/embedding: dropout statistics, determinism, eval
// identity, gradient checks; embedding lookup, scatter-add backward, bad ids, thread independence.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/nn/dropout.hpp"
#include "common/nn/embedding.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;

TEST_CASE("dropout: keeps about 1 − p, scales kept values by 1/(1 − p), preserves the mean") {
    const int n = 100000;
    const float p = 0.3f;
    Buf x(n, 2.0f), out(n);
    std::vector<uint8_t> mask(n);
    Rng rng(41);
    dropout_forward(out.data(), mask.data(), x.data(), n, p, rng, true);
    int kept = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        kept += mask[i];
        sum += out[i];
        CHECK_UNARY(out[i] == (mask[i] ? doctest::Approx(2.0 / 0.7) : doctest::Approx(0.0)));
    }
    // kept ~ Binomial(n, 0.7): sd ≈ 145, so ±1% (1000) is a ~7 sigma band
    CHECK(kept / (double)n == doctest::Approx(0.7).epsilon(0.015));
    CHECK(sum / n == doctest::Approx(2.0).epsilon(0.02));  // E[out] = x
}

TEST_CASE("dropout: same seed same mask, different seed different mask; eval and p = 0 are the identity") {
    const int n = 1000;
    Rng r0(5);
    Buf x = random_buf(n, r0), o1(n), o2(n), o3(n);
    std::vector<uint8_t> m1(n), m2(n), m3(n);
    Rng a(7), b(7), c(8);
    dropout_forward(o1.data(), m1.data(), x.data(), n, 0.5f, a, true);
    dropout_forward(o2.data(), m2.data(), x.data(), n, 0.5f, b, true);
    dropout_forward(o3.data(), m3.data(), x.data(), n, 0.5f, c, true);
    CHECK(m1 == m2);
    CHECK(o1 == o2);
    CHECK(m1 != m3);

    Rng e(9);
    uint64_t before = Rng(9).next_u64();
    dropout_forward(o1.data(), m1.data(), x.data(), n, 0.5f, e, false);
    CHECK(o1 == x);
    for (auto m : m1) CHECK(m == 1);
    CHECK(e.next_u64() == before);  // eval draws no random numbers
    dropout_forward(o2.data(), nullptr, x.data(), n, 0.0f, e, true);
    CHECK(o2 == x);

    // p = 1 drops everything without dividing by zero
    dropout_forward(o3.data(), m3.data(), x.data(), n, 1.0f, a, true);
    for (float v : o3) CHECK(v == 0.0f);
    CHECK_THROWS_AS(dropout_forward(o3.data(), m3.data(), x.data(), n, 1.5f, a, true), attn::Error);
    CHECK_THROWS_AS(dropout_forward(o3.data(), m3.data(), x.data(), n, -0.1f, a, true), attn::Error);
}

TEST_CASE("dropout: the mask is uniform() >= p, one draw per element in order, and the caller's Rng moves on n draws") {
    // Each thread draws its range of the mask from a copy of the generator moved on to the range's start
    // (Rng::jump; dropout.cpp): the caller must see exactly what drawing from its own Rng element by
    // element would give, mask, output and state after, on any number of threads. n = 777 is one range;
    // the others are cut into 2, 3 or 4 (at least 16384 elements each), 100003 unevenly.
    for (int threads : {1, 2, 3, 4}) {
        set_threads(threads);
        for (int n : {777, 2 * 16384 + 5, 100003}) {
            Rng r0(3);
            Buf x = random_buf(n, r0), o(n);
            std::vector<uint8_t> mask(n);
            for (float p : {0.1f, 0.5f, 0.9f}) {
                CAPTURE(threads);
                CAPTURE(n);
                CAPTURE(p);
                Rng rng(11), ref(11);
                dropout_forward(o.data(), mask.data(), x.data(), n, p, rng, true);
                int wrong = 0;
                for (int i = 0; i < n; i++) {
                    const bool keep = ref.uniform() >= p;
                    wrong += mask[i] != (keep ? 1 : 0) || o[i] != (keep ? x[i] * (1.0f / (1.0f - p)) : 0.0f);
                }
                CHECK(wrong == 0);
                CHECK(rng.next_u64() == ref.next_u64());
            }
        }
    }
    set_threads(0);
}

TEST_CASE("dropout: gradient check (fixed mask) and accumulation") {
    const int n = 50;
    const float p = 0.4f;
    Rng rng(43);
    Buf x = random_buf(n, rng), R = random_buf(n, rng), out(n), dx(n, 0.0f);
    std::vector<uint8_t> mask(n);
    Rng drop(44);
    dropout_forward(out.data(), mask.data(), x.data(), n, p, drop, true);
    dropout_backward(dx.data(), R.data(), mask.data(), n, p);
    // the loss replays the same mask: reseed the same Rng each time
    check_gradient("dropout", [&] {
        Rng same(44);
        Buf o(n);
        std::vector<uint8_t> m(n);
        dropout_forward(o.data(), m.data(), x.data(), n, p, same, true);
        return dot_double(o.data(), R.data(), n);
    }, x.data(), dx.data(), n);
    Buf acc(n, 1.0f);
    dropout_backward(acc.data(), R.data(), mask.data(), n, p);
    for (int i = 0; i < n; i++) CHECK(acc[i] == doctest::Approx(1.0 + dx[i]));
}

TEST_CASE("dropout_backward without accumulate: the bits of += into zeros; 1 and 3 threads agree") {
    const int n = 100000;  // large enough to be split among threads
    const float p = 0.3f;
    Rng rng(45), drop(46);
    Buf x = random_buf(n, rng), R = random_buf(n, rng), out(n);
    for (int i = 0; i < n; i += 9) R[i] = -0.0f;
    std::vector<uint8_t> mask(n);
    dropout_forward(out.data(), mask.data(), x.data(), n, p, drop, true);
    Buf added(n, 0.0f), written(n, NAN);
    dropout_backward(added.data(), R.data(), mask.data(), n, p);
    for (int threads : {1, 3}) {
        set_threads(threads);
        std::fill(written.begin(), written.end(), NAN);
        dropout_backward(written.data(), R.data(), mask.data(), n, p, /*accumulate=*/false);
        CHECK(std::memcmp(added.data(), written.data(), n * sizeof(float)) == 0);
        Buf o(n);  // the forward's mask comes from the Rng alone, its values from any thread
        std::vector<uint8_t> m(n);
        Rng same(46);
        dropout_forward(o.data(), m.data(), x.data(), n, p, same, true);
        CHECK(m == mask);
        CHECK(std::memcmp(o.data(), out.data(), n * sizeof(float)) == 0);
    }
    set_threads(0);
}

TEST_CASE("embedding: lookup, and the backward adds repeated ids together") {
    const int V = 3, C = 2, N = 4;
    float table[V * C] = {0, 1, 10, 11, 20, 21};
    int ids[N] = {2, 0, 2, 1};
    float out[N * C];
    embedding_forward(out, ids, table, N, C, V);
    float want[N * C] = {20, 21, 0, 1, 20, 21, 10, 11};
    for (int i = 0; i < N * C; i++) CHECK(out[i] == want[i]);

    float dout[N * C] = {1, 2, 3, 4, 5, 6, 7, 8};
    float dtable[V * C] = {100, 100, 100, 100, 100, 100};
    embedding_backward(dtable, dout, ids, N, C, V);
    float want_d[V * C] = {103, 104, 107, 108, 106, 108};  // row 2 gets positions 0 and 2
    for (int i = 0; i < V * C; i++) CHECK(dtable[i] == want_d[i]);
}

TEST_CASE("embedding: an id outside [0, V) is an error naming its position and value") {
    float table[6] = {0}, out[6];
    int ids[3] = {0, 1, 7};
    try {
        embedding_forward(out, ids, table, 3, 2, 3);
        FAIL("expected an attn::Error");
    } catch (const attn::Error& e) {
        std::string msg = e.what();
        CHECK(msg.find("position 2") != std::string::npos);
        CHECK(msg.find("found 7") != std::string::npos);
    }
    int neg[1] = {-1};
    CHECK_THROWS_AS(embedding_forward(out, neg, table, 1, 2, 3), attn::Error);
    CHECK_THROWS_AS(embedding_backward(table, out, neg, 1, 2, 3), attn::Error);
}

TEST_CASE("embedding: gradient check and bit-identical backward on 1, 2 and 3 threads") {
    {
        const int V = 6, C = 4, N = 9;
        Rng rng(51);
        Buf table = random_buf(V * C, rng), R = random_buf(N * C, rng), dt(V * C, 0.0f);
        int ids[N] = {1, 3, 3, 0, 5, 1, 3, 2, 0};  // id 4 unused: its gradient must stay 0
        embedding_backward(dt.data(), R.data(), ids, N, C, V);
        for (int c = 0; c < C; c++) CHECK(dt[4 * C + c] == 0.0f);
        check_gradient("embedding.table", [&] {
            Buf o(N * C);
            embedding_forward(o.data(), ids, table.data(), N, C, V);
            return dot_double(o.data(), R.data(), o.size());
        }, table.data(), dt.data(), table.size());
    }
    const int V = 50, C = 64, N = 2000;  // many repeats per id, enough work to split
    Rng rng(52);
    Buf R = random_buf(N * C, rng);
    std::vector<int> ids(N);
    for (auto& id : ids) id = (int)rng.below(V);
    auto run = [&](int threads) {
        set_threads(threads);
        Buf dt(V * C, 0.0f);
        embedding_backward(dt.data(), R.data(), ids.data(), N, C, V);
        return dt;
    };
    Buf a = run(1), b = run(2), c = run(3);
    set_threads(0);
    CHECK(a == b);
    CHECK(a == c);
}
