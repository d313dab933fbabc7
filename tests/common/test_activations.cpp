// Tests for common/nn/activations: hand-computed values, PyTorch GELU (tanh) fixture, gradient
// checks for every backward, accumulation, thread-count independence.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <numbers>

#include "common/nn/activations.hpp"
#include "common/core/select.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/fixture.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;

namespace {
using Fwd = void (*)(float*, const float*, int);
using Bwd = void (*)(float*, const float*, const float*, int);

// Gradient check of one activation. uses_output: the backward takes the forward output (tanh,
// sigmoid) instead of the input (relu, gelu).
void check_activation(const char* name, Fwd fwd, Bwd bwd, bool uses_output, Buf x) {
    const int n = (int)x.size();
    Rng rng(99);
    Buf R = random_buf(n, rng), out(n), dx(n, 0.0f);
    fwd(out.data(), x.data(), n);
    bwd(dx.data(), R.data(), uses_output ? out.data() : x.data(), n);
    auto loss = [&] {
        Buf o(n);
        fwd(o.data(), x.data(), n);
        return dot_double(o.data(), R.data(), n);
    };
    check_gradient(name, loss, x.data(), dx.data(), n);
    // backward accumulates: a second call adds the same gradient again
    Buf dx2 = dx;
    bwd(dx2.data(), R.data(), uses_output ? out.data() : x.data(), n);
    for (int i = 0; i < n; i++) CHECK(dx2[i] == doctest::Approx(2.0 * dx[i]).epsilon(1e-6));
}

Buf spread_input(int n, uint64_t seed) {
    Rng rng(seed);
    Buf x = random_buf(n, rng, -3.0f, 3.0f);
    // keep away from ReLU's kink at 0: a central difference straddling it is not a derivative
    for (auto& v : x)
        if (std::fabs(v) < 0.05f) v = v < 0 ? -0.1f : 0.1f;
    return x;
}
}  // namespace

TEST_CASE("activations: hand-computed forward values") {
    float x[4] = {-1.0f, 0.0f, 2.0f, std::log(3.0f)}, o[4];
    relu_forward(o, x, 4);
    CHECK(o[0] == 0.0f);
    CHECK(o[1] == 0.0f);
    CHECK(o[2] == 2.0f);
    sigmoid_forward(o, x, 4);
    CHECK(o[1] == doctest::Approx(0.5));
    CHECK(o[3] == doctest::Approx(0.75));  // σ(ln 3) = 3/4
    CHECK(o[0] == doctest::Approx(1.0 / (1.0 + std::exp(1.0))));
    float t[2] = {0.0f, std::log(2.0f)};
    tanh_forward(o, t, 2);
    CHECK(o[0] == 0.0f);
    CHECK(o[1] == doctest::Approx(0.6));  // tanh(ln 2) = (4 − 1)/(4 + 1)
    gelu_forward(o, x, 4);
    CHECK(o[1] == 0.0f);
    // gelu(2) = 0.5·2·(1 + tanh(√(2/π)(2 + 0.044715·8)))
    CHECK(o[2] == doctest::Approx(1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (2.0 + 0.044715 * 8.0))));
}

TEST_CASE("activations: sigmoid saturates to 0 and 1 without NaN or overflow") {
    float x[2] = {-200.0f, 200.0f}, o[2];
    sigmoid_forward(o, x, 2);
    CHECK(o[0] == 0.0f);
    CHECK(o[1] == 1.0f);
}

TEST_CASE("activations: GELU matches PyTorch F.gelu(approximate='tanh')") {
    auto fx = load_fixture("norm_loss.txt");
    const auto &x = get(fx, "gelu_x"), &R = get(fx, "gelu_R");
    const int n = (int)x.v.size();
    Buf out(n), dx(n, 0.0f);
    gelu_forward(out.data(), x.v.data(), n);
    gelu_backward(dx.data(), R.v.data(), x.v.data(), n);
    CHECK(max_abs_diff(out.data(), get(fx, "gelu_out").v.data(), n) < 1e-5);
    CHECK(max_abs_diff(dx.data(), get(fx, "gelu_dx").v.data(), n) < 1e-5);
}

TEST_CASE("activations: gradient checks") {
    auto relu_bwd = [](float* dx, const float* d, const float* x, int n) { relu_backward(dx, d, x, n); };
    check_activation("relu", relu_forward, relu_bwd, false, spread_input(64, 1));
    check_activation("gelu", gelu_forward, gelu_backward, false, spread_input(64, 2));
    check_activation("tanh", tanh_forward, tanh_backward, true, spread_input(64, 3));
    check_activation("sigmoid", sigmoid_forward, sigmoid_backward, true, spread_input(64, 4));
}

TEST_CASE("relu_backward without accumulate: the bits of += into zeros, whatever dinp held") {
    // −0 gradients included: 0 + (−0) is +0, so writing the gradient itself would differ
    const int n = 100000;
    Buf x = spread_input(n, 7), g = spread_input(n, 8);
    for (int i = 0; i < n; i += 7) g[i] = -0.0f;
    for (int i = 0; i < n; i += 11) x[i] = 0.0f;
    Buf added(n, 0.0f), written(n, 12345.0f);
    relu_backward(added.data(), g.data(), x.data(), n);
    relu_backward(written.data(), g.data(), x.data(), n, /*accumulate=*/false);
    CHECK(std::memcmp(added.data(), written.data(), n * sizeof(float)) == 0);
}

TEST_CASE("keep_or_zero: the bits of keep ? v : 0 for every kind of float") {
    // the select that relu_backward and dropout use (select.hpp): the value where kept, +0 where
    // dropped, whatever the value is (−0, NaN, infinities, subnormals)
    const float values[] = {1.5f, -2.25f, 0.0f, -0.0f, 1e-40f, -1e-40f,  // subnormals
                            INFINITY, -INFINITY, NAN, -NAN, 3.4e38f};
    for (float v : values)
        for (bool keep : {true, false}) {
            const float want = keep ? v : 0.0f, got = keep_or_zero(keep, v);
            CHECK(std::memcmp(&want, &got, sizeof(float)) == 0);
        }
}

TEST_CASE("activations: same result on 1 and 3 threads") {
    const int n = 200000;  // large enough to be split
    Buf x = spread_input(n, 5), R = spread_input(n, 6);
    Buf o1(n), o3(n), d1(n, 0.0f), d3(n, 0.0f);
    set_threads(1);
    gelu_forward(o1.data(), x.data(), n);
    gelu_backward(d1.data(), R.data(), x.data(), n);
    set_threads(3);
    gelu_forward(o3.data(), x.data(), n);
    gelu_backward(d3.data(), R.data(), x.data(), n);
    set_threads(0);
    CHECK(o1 == o3);
    CHECK(d1 == d3);
}
