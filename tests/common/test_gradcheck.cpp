// The gradient checker must catch a wrong backward, not only bless a right one.
#include "tests/gradcheck.hpp"

#include <doctest/doctest.h>

using namespace attn;

TEST_CASE("gradcheck: passes a right gradient, catches a wrong one and an all-zero one") {
    float x[3] = {0.5f, -1.0f, 2.0f};
    auto loss = [&] { return (double)x[0] * x[0] + 3.0 * x[1] + std::sin((double)x[2]); };
    float right[3] = {1.0f, 3.0f, (float)std::cos(2.0)};
    float wrong[3] = {1.0f, 3.3f, (float)std::cos(2.0)};  // 10% off in one element
    GradCheckResult ok = gradcheck(loss, x, right, 3);
    CHECK(ok.failed == 0);
    CHECK(ok.checked == 3);
    GradCheckResult bad = gradcheck(loss, x, wrong, 3);
    CHECK(bad.failed == 1);
    CHECK(bad.worst_index == 1);
    float zero[3] = {0, 0, 0};
    CHECK(gradcheck(loss, x, zero, 3).max_abs_grad == 0.0);
    CHECK(x[0] == 0.5f);  // inputs restored
}
