// Attention rollout (Abnar & Zuidema 2020): its rows are distributions, attention to oneself rolls out
// to the identity, uniform attention to uniform weights over the patches, and one layer by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "chapters/08_vision_transformer/attention_rollout.hpp"
#include "common/core/rng.hpp"

using namespace ch08;

namespace {

// NH heads of random row-stochastic (T,T) attention.
std::vector<float> random_attention(int NH, int T, attn::Rng& rng) {
    std::vector<float> a((size_t)NH * T * T);
    for (int r = 0; r < NH * T; r++) {
        double s = 0;
        for (int j = 0; j < T; j++) s += a[(size_t)r * T + j] = rng.uniform(0.01f, 1.0f);
        for (int j = 0; j < T; j++) a[(size_t)r * T + j] = (float)(a[(size_t)r * T + j] / s);
    }
    return a;
}

}  // namespace

TEST_CASE("ch08 rollout: every row of the rollout of random attention over 3 layers sums to 1, all weights >= 0") {
    attn::Rng rng(1);
    const int NH = 4, T = 17;
    std::vector<std::vector<float>> layers;
    for (int l = 0; l < 3; l++) layers.push_back(random_attention(NH, T, rng));
    std::vector<const float*> att;
    for (auto& a : layers) att.push_back(a.data());
    std::vector<float> R((size_t)T * T);
    attention_rollout(R.data(), att, NH, T);
    for (int i = 0; i < T; i++) {
        double s = 0;
        for (int j = 0; j < T; j++) {
            CHECK(R[(size_t)i * T + j] >= 0.0f);
            s += R[(size_t)i * T + j];
        }
        CHECK(std::fabs(s - 1.0) < 1e-5);
    }
}

TEST_CASE("ch08 rollout: tokens that attend only to themselves roll out to the identity") {
    const int NH = 2, T = 5;
    std::vector<float> eye((size_t)NH * T * T, 0.0f);
    for (int h = 0; h < NH; h++)
        for (int i = 0; i < T; i++) eye[((size_t)h * T + i) * T + i] = 1.0f;
    std::vector<float> R((size_t)T * T);
    attention_rollout(R.data(), {eye.data(), eye.data(), eye.data()}, NH, T);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) CHECK(R[(size_t)i * T + j] == doctest::Approx(i == j ? 1.0 : 0.0));
}

TEST_CASE("ch08 rollout: uniform attention gives the class token the same weight from every patch") {
    const int NH = 3, T = 10;
    std::vector<float> uni((size_t)NH * T * T, 1.0f / T);
    std::vector<float> R((size_t)T * T), map(T - 1);
    attention_rollout(R.data(), {uni.data(), uni.data()}, NH, T);
    class_token_row(map.data(), R.data(), T);
    for (int n = 1; n < T - 1; n++) CHECK(map[n] == doctest::Approx(map[0]).epsilon(1e-6));
    CHECK(map[0] < R[0]);  // the residual keeps more of the class token itself
    // two layers by hand: Ã = U/2 + I/2 with U = J/T, so Ã² = U (1/4 + 1/2) + I/4 (U² = U)
    CHECK(map[0] == doctest::Approx(0.75 / T).epsilon(1e-6));
    CHECK(R[0] == doctest::Approx(0.75 / T + 0.25).epsilon(1e-6));
}

TEST_CASE("ch08 rollout: one layer is the head mean, halved, plus I/2 (hand-computed 2x2)") {
    // head 0 rows (0.2, 0.8), (0.6, 0.4); head 1 rows (0.4, 0.6), (1.0, 0.0): mean (0.3, 0.7), (0.8, 0.2)
    const std::vector<float> a = {0.2f, 0.8f, 0.6f, 0.4f, 0.4f, 0.6f, 1.0f, 0.0f};
    std::vector<float> R(4);
    attention_rollout(R.data(), {a.data()}, 2, 2);
    CHECK(R[0] == doctest::Approx(0.65));
    CHECK(R[1] == doctest::Approx(0.35));
    CHECK(R[2] == doctest::Approx(0.40));
    CHECK(R[3] == doctest::Approx(0.60));
}

TEST_CASE("ch08 rollout: the later layer multiplies from the left (order matters)") {
    // layer 1 (first): token 0 reads token 1 only; layer 2: token 1 reads token 0 only (1 head, T = 2)
    const std::vector<float> l1 = {0, 1, 0, 1}, l2 = {1, 0, 1, 0};
    std::vector<float> R(4);
    attention_rollout(R.data(), {l1.data(), l2.data()}, 1, 2);
    // Ã1 = [[.5,.5],[0,1]], Ã2 = [[1,0],[.5,.5]];  R = Ã2 Ã1 = [[.5,.5],[.25,.75]]
    CHECK(R[0] == doctest::Approx(0.5));
    CHECK(R[1] == doctest::Approx(0.5));
    CHECK(R[2] == doctest::Approx(0.25));
    CHECK(R[3] == doctest::Approx(0.75));
}
