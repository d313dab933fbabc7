// Tests for common/core/vmath.hpp: e^x, tanh and σ on vectors against double precision, in units
// in the last place (ulp) of the float result, over dense sweeps of their useful ranges; special values.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "common/core/vmath.hpp"

using namespace attn;
using namespace attn::vm;

namespace {
// distance in representable floats between a and b (same sign; 0 and −0 are 0 apart)
int64_t ulps(float a, float b) {
    int32_t ia, ib;
    std::memcpy(&ia, &a, 4), std::memcpy(&ib, &b, 4);
    if (ia < 0) ia = INT32_MIN - ia;  // make the integer order the float order
    if (ib < 0) ib = INT32_MIN - ib;
    return std::llabs((int64_t)ia - (int64_t)ib);
}
uint32_t bits(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return u;
}

// f applied to x in lanes of a vector: lane 0 holds x, the others fill the vector
template <class F>
float lane(F f, float x) {
    vecf v = splat(x);
    return f(v)[0];
}

// the worst ulp error of vf against the double-precision ref over n points evenly in [lo, hi]
template <class VF, class Ref>
int64_t worst(VF vf, Ref ref, double lo, double hi, int n, double* at) {
    int64_t w = 0;
    for (int i = 0; i < n; i += VL) {
        vecf x;
        for (int l = 0; l < VL; l++) x[l] = (float)(lo + (hi - lo) * (double)(i + l) / (n - 1));
        vecf y = vf(x);
        for (int l = 0; l < VL; l++) {
            int64_t e = ulps(y[l], (float)ref((double)x[l]));
            if (e > w) w = e, *at = x[l];
        }
    }
    return w;
}

// the worst ulp error over [lo, hi] is at most `most`; a failure names the range and the argument
template <class VF, class Ref>
void check_ulps(VF vf, Ref ref, double lo, double hi, int n, int64_t most) {
    double at = 0;
    const int64_t w = worst(vf, ref, lo, hi, n, &at);
    CAPTURE(lo);
    CAPTURE(hi);
    CAPTURE(at);
    CHECK(w <= most);
}
}  // namespace

TEST_CASE("vmath: e^x within 2 ulp of double precision from −103 to 88.7, subnormals to 0 included") {
    auto e = [](vecf x) { return vexp(x); };
    auto ref = [](double x) { return std::exp(x); };
    check_ulps(e, ref, -87.0, 88.72, 4000000, 2);
    check_ulps(e, ref, -1.0, 1.0, 1000000, 2);  // near 0, where the softmax's largest terms are
    check_ulps(e, ref, -104.0, -87.0, 200000, 2);  // subnormal results: within 2 of the smallest steps
}

TEST_CASE("vmath: e^x special values") {
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(lane(vexp, 0.0f) == 1.0f);
    CHECK(lane(vexp, -0.0f) == 1.0f);
    CHECK(lane(vexp, 89.0f) == inf);  // overflow
    CHECK(lane(vexp, inf) == inf);
    CHECK(lane(vexp, -inf) == 0.0f);
    CHECK(lane(vexp, -110.0f) == 0.0f);  // underflow
    CHECK(std::isnan(lane(vexp, std::nanf(""))));
    CHECK(lane(vexp, 88.72f) < inf);  // the largest finite results stay finite
    CHECK(lane(vexp, 88.72f) > 3.3e38f);
}

TEST_CASE("vmath: tanh within 3 ulp of double precision, small and large arguments") {
    auto t = [](vecf x) { return vtanh(x); };
    auto ref = [](double x) { return std::tanh(x); };
    check_ulps(t, ref, -10.0, 10.0, 4000000, 3);
    check_ulps(t, ref, -1e-3, 1e-3, 200000, 3);  // near 0: tanh x ≈ x, no cancellation allowed
    for (float x : {1e-30f, 1e-20f, 1e-10f, 1e-6f, 3e-4f}) {
        CAPTURE(x);
        CHECK(ulps(lane(vtanh, x), (float)std::tanh((double)x)) <= 1);
        CHECK(ulps(lane(vtanh, -x), (float)std::tanh(-(double)x)) <= 1);
    }
}

TEST_CASE("vmath: tanh special values") {
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(bits(lane(vtanh, 0.0f)) == bits(0.0f));
    CHECK(bits(lane(vtanh, -0.0f)) == bits(-0.0f));
    CHECK(lane(vtanh, inf) == 1.0f);
    CHECK(lane(vtanh, -inf) == -1.0f);
    CHECK(lane(vtanh, 20.0f) == 1.0f);
    CHECK(lane(vtanh, -100.0f) == -1.0f);
    CHECK(std::isnan(lane(vtanh, std::nanf(""))));
    for (float x : {0.1f, 0.5f, 1.0f, 3.0f}) CHECK(lane(vtanh, -x) == -lane(vtanh, x));  // odd
}

TEST_CASE("vmath: σ within 2 ulp of double precision from −80 to 30") {
    auto s = [](vecf x) { return vsigmoid(x); };
    auto ref = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
    check_ulps(s, ref, -80.0, 30.0, 4000000, 2);
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(lane(vsigmoid, 0.0f) == 0.5f);
    CHECK(lane(vsigmoid, inf) == 1.0f);
    CHECK(lane(vsigmoid, -inf) == 0.0f);
    CHECK(lane(vsigmoid, 100.0f) == 1.0f);
    CHECK(std::isnan(lane(vsigmoid, std::nanf(""))));
}

TEST_CASE("vmath: load_n / store_n move the first m floats and zero the rest") {
    float src[VL], dst[VL];
    for (int i = 0; i < VL; i++) src[i] = (float)(i + 1), dst[i] = -1.0f;
    for (int m = 1; m <= VL; m++) {
        vecf v = load_n(src, m);
        for (int i = 0; i < VL; i++) CHECK(v[i] == (i < m ? src[i] : 0.0f));
        store_n(dst, v, m);
        for (int i = 0; i < VL; i++) CHECK(dst[i] == (i < m ? src[i] : -1.0f));  // the rest untouched
    }
}
