// Chapter 09's tests: the affine grid generator and the bilinear sampler of a spatial transformer.
//   hand cases (identity, one-pixel shifts, the image edge, points far outside), finite-difference
//   gradients of every backward and of their composition, PyTorch fixtures, thread determinism.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "chapters/09_spatial_transformer/affine_grid.hpp"
#include "chapters/09_spatial_transformer/bilinear_sampler.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/fixture.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;
using namespace ch09;

// θ for a batch of B identical transforms [[a, b, c], [d, e, f]]
static Buf thetas(int B, std::vector<float> t6) {
    Buf th((size_t)B * 6);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < 6; k++) th[(size_t)b * 6 + k] = t6[k];
    return th;
}

// Sample `inp` through the grid of θ: out (B,C,H_out,W_out).
static Buf transform(const Buf& inp, const Buf& theta, int B, int C, int H_in, int W_in, int H_out, int W_out) {
    Buf grid((size_t)B * H_out * W_out * 2), out((size_t)B * C * H_out * W_out);
    affine_grid_forward(grid.data(), theta.data(), B, H_out, W_out);
    bilinear_sample_forward(out.data(), inp.data(), grid.data(), B, C, H_in, W_in, H_out, W_out);
    return out;
}

// The cell (⌊ix⌋, ⌊iy⌋) of every sample point: bilinear interpolation is smooth inside a cell and
// has kinks on its borders. A finite-difference step that moves a point into another cell measures
// a slope no backward pass should match, so the losses below return NaN then (gradcheck skips it).
static std::vector<int> cells(const float* grid, size_t npoints, int H_in, int W_in) {
    std::vector<int> c(npoints * 2);
    for (size_t p = 0; p < npoints; p++) {
        c[2 * p] = (int)std::floor(((grid[2 * p] + 1.0f) * W_in - 1.0f) * 0.5f);
        c[2 * p + 1] = (int)std::floor(((grid[2 * p + 1] + 1.0f) * H_in - 1.0f) * 0.5f);
    }
    return c;
}

// How close the nearest sample point comes to a kink, in pixels.
static float kink_distance(const float* grid, size_t npoints, int H_in, int W_in) {
    float d = 1.0f;
    for (size_t p = 0; p < npoints * 2; p++) {
        float pix = ((grid[p] + 1.0f) * (p % 2 ? H_in : W_in) - 1.0f) * 0.5f;
        d = std::fmin(d, std::fabs(pix - std::round(pix)));
    }
    return d;
}

// A random point whose pixel coordinates are at least `margin` from any integer, in cells from
// −1 (partly outside the image) to size − 1 (partly outside on the other side).
static float coord_away_from_kinks(Rng& rng, int size, float margin) {
    float i = (float)rng.randint(-1, size - 1) + rng.uniform(margin, 1.0f - margin);  // pixel coordinate
    return (2.0f * i + 1.0f) / size - 1.0f;  // back to [-1, 1]: the inverse of i = ((x + 1)·size − 1)/2
}

// ---- tier 1: hand-computable cases ----------------------------------------------------------

TEST_CASE("ch09: affine_grid with the identity puts every point at its pixel centre (align_corners=False)") {
    const int H = 2, W = 4;
    Buf theta = thetas(1, {1, 0, 0, 0, 1, 0}), grid((size_t)H * W * 2);
    affine_grid_forward(grid.data(), theta.data(), 1, H, W);
    const float xs[4] = {-0.75f, -0.25f, 0.25f, 0.75f}, ys[2] = {-0.5f, 0.5f};
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            CHECK(grid[(i * W + j) * 2 + 0] == doctest::Approx(xs[j]).epsilon(1e-7));
            CHECK(grid[(i * W + j) * 2 + 1] == doctest::Approx(ys[i]).epsilon(1e-7));
        }
    // θ = [[2, 1, 0.5], [0, -1, 0.25]] at (x, y) = (0.25, -0.5): x^s = 0.5 − 0.5 + 0.5, y^s = 0.5 + 0.25
    Buf th2 = thetas(1, {2, 1, 0.5f, 0, -1, 0.25f});
    affine_grid_forward(grid.data(), th2.data(), 1, H, W);
    CHECK(grid[(0 * W + 2) * 2 + 0] == doctest::Approx(0.5));
    CHECK(grid[(0 * W + 2) * 2 + 1] == doctest::Approx(0.75));
    // three images, each with its own θ (the identity, th2, and a translation by (0.5, −0.25)), into
    // a grid pre-filled with NaN and followed by a guard point (7, 7) that must stay
    const int B = 3;
    Buf th3 = {1, 0, 0, 0, 1, 0, 2, 1, 0.5f, 0, -1, 0.25f, 1, 0, 0.5f, 0, 1, -0.25f};
    Buf g3((size_t)B * H * W * 2 + 2, NAN);
    g3[g3.size() - 2] = g3[g3.size() - 1] = 7.0f;
    affine_grid_forward(g3.data(), th3.data(), B, H, W);
    size_t wrong = 0;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                const float* t = th3.data() + b * 6;
                const float* got = g3.data() + (((size_t)b * H + i) * W + j) * 2;
                const double x = xs[j], y = ys[i];
                wrong += !(std::fabs(got[0] - (t[0] * x + t[1] * y + t[2])) <= 1e-6);
                wrong += !(std::fabs(got[1] - (t[3] * x + t[4] * y + t[5])) <= 1e-6);
            }
    CHECK(wrong == 0);
    CHECK(g3[g3.size() - 2] == 7.0f);
    CHECK(g3[g3.size() - 1] == 7.0f);
}

TEST_CASE("ch09: attention_theta builds [[s,0,tx],[0,s,ty]]") {
    const float p[6] = {0.5f, 0.25f, -0.75f, 2.0f, 0.0f, 1.0f};
    float th[12];
    attention_theta_forward(th, p, 2);
    const float want[12] = {0.5f, 0, 0.25f, 0, 0.5f, -0.75f, 2.0f, 0, 0, 0, 2.0f, 1.0f};
    for (int k = 0; k < 12; k++) CHECK(th[k] == want[k]);
}

TEST_CASE("ch09: bilinear sampling of a 2x2 image at hand-computed points") {
    // U = [[1, 2], [3, 4]]; grid points (x, y) and the expected values:
    //   (0, 0): ix = iy = 0.5, the middle of the four pixels           → (1+2+3+4)/4 = 2.5
    //   (-0.5, -0.5): ix = iy = 0, the centre of pixel (0,0)             → 1
    //   (-1, -0.5): ix = −0.5, half-way between the outside and pixel 0 → 0.5·1 = 0.5
    //   (0.25, 0.5): ix = 0.75, iy = 1                                   → 3·0.25 + 4·0.75 = 3.75
    //   (1.2, 0): ix = 1.7, iy = 0.5, right neighbours outside          → 0.3·(0.5·2 + 0.5·4) = 0.9
    //   (1.6, 0) and (0, -2): ix = 2.1 and iy = −1.5, past the border    → 0
    const float U[4] = {1, 2, 3, 4};
    const float grid[14] = {0, 0, -0.5f, -0.5f, -1, -0.5f, 0.25f, 0.5f, 1.2f, 0, 1.6f, 0, 0, -2};
    const float want[7] = {2.5f, 1.0f, 0.5f, 3.75f, 0.9f, 0.0f, 0.0f};
    float out[7];
    bilinear_sample_forward(out, U, grid, 1, 1, 2, 2, 1, 7);
    for (int k = 0; k < 7; k++) CHECK(out[k] == doctest::Approx(want[k]).epsilon(1e-6));
}

TEST_CASE("ch09: the identity transform reproduces the input (pixel centres land on pixel centres)") {
    Rng rng(1);
    const int B = 2, C = 3, H = 7, W = 9;
    Buf inp = random_buf((size_t)B * C * H * W, rng);
    Buf out = transform(inp, thetas(B, {1, 0, 0, 0, 1, 0}), B, C, H, W, H, W);
    // Exact in real numbers; in float the grid (2j+1)/W − 1 carries one rounding, so allow 1e-6.
    CHECK(max_abs_diff(out.data(), inp.data(), inp.size()) < 1e-6);
}

TEST_CASE("ch09: a translation by 2/W (2/H) shifts by exactly one pixel, with zeros coming in") {
    Rng rng(2);
    const int B = 1, C = 2, H = 5, W = 6;
    Buf inp = random_buf((size_t)B * C * H * W, rng, 0.5f, 1.0f);  // no zeros of its own
    // x^s = x + 2/W reads one column to the right: out[i, j] = inp[i, j+1], and 0 in the last column.
    Buf right = transform(inp, thetas(B, {1, 0, 2.0f / W, 0, 1, 0}), B, C, H, W, H, W);
    // y^s = y − 2/H reads one row up: out[i, j] = inp[i−1, j], and 0 in the first row.
    Buf up = transform(inp, thetas(B, {1, 0, 0, 0, 1, -2.0f / H}), B, C, H, W, H, W);
    double err_r = 0, err_u = 0;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                size_t o = ((size_t)c * H + i) * W + j;
                float want_r = j + 1 < W ? inp[((size_t)c * H + i) * W + j + 1] : 0.0f;
                float want_u = i >= 1 ? inp[((size_t)c * H + i - 1) * W + j] : 0.0f;
                err_r = std::fmax(err_r, std::fabs(right[o] - want_r));
                err_u = std::fmax(err_u, std::fabs(up[o] - want_u));
            }
    CHECK(err_r < 1e-6);
    CHECK(err_u < 1e-6);
}

TEST_CASE("ch09: points outside the image (even far away, or NaN) sample 0 and get no gradient") {
    Rng rng(3);
    const int C = 2, H = 4, W = 4;
    Buf inp = random_buf((size_t)C * H * W, rng, 0.5f, 1.0f);
    // x = −1 − 1/W is ix = −1 (exactly, in float, for W = 4): the right neighbour (pixel 0) has
    // weight 0; x = 1 + 1/W is ix = W. The others are plainly outside, one of them by 1e30 (it
    // must not overflow an int) and one is NaN.
    const float grid[12] = {-1.0f - 1.0f / W, 0, 1.0f + 1.0f / W, 0.3f, 0, -1.0f - 1.0f / H,
                            0.2f, 1.5f, 1e30f, -1e30f, NAN, 0};
    float out[12];
    bilinear_sample_forward(out, inp.data(), grid, 1, C, H, W, 1, 6);
    for (int k = 0; k < 12; k++) CHECK(out[k] == 0.0f);
    Buf dout = random_buf(12, rng), dinp(inp.size(), 0.0f), dgrid(12, 0.0f);
    bilinear_sample_backward(dinp.data(), dgrid.data(), dout.data(), inp.data(), grid, 1, C, H, W, 1, 6);
    for (float v : dinp) CHECK(v == 0.0f);
    for (float v : dgrid) CHECK(v == 0.0f);
}

// ---- tier 2: finite-difference gradients ----------------------------------------------------

TEST_CASE("ch09: affine_grid_backward and attention_theta_backward match finite differences") {
    Rng rng(4);
    const int B = 2, H = 3, W = 5;
    Buf theta = random_buf((size_t)B * 6, rng), grid((size_t)B * H * W * 2);
    Buf R = random_buf(grid.size(), rng), dtheta(theta.size(), 0.0f);
    auto loss = [&]() {
        affine_grid_forward(grid.data(), theta.data(), B, H, W);
        return dot_double(grid.data(), R.data(), grid.size());
    };
    affine_grid_backward(dtheta.data(), R.data(), B, H, W);
    check_gradient("theta (affine_grid)", loss, theta.data(), dtheta.data(), theta.size());

    Buf params = random_buf((size_t)B * 3, rng), th((size_t)B * 6), Rt = random_buf(th.size(), rng);
    Buf dparams(params.size(), 0.0f);
    auto loss_p = [&]() {
        attention_theta_forward(th.data(), params.data(), B);
        return dot_double(th.data(), Rt.data(), th.size());
    };
    attention_theta_backward(dparams.data(), Rt.data(), B);
    check_gradient("(s, tx, ty) (attention_theta)", loss_p, params.data(), dparams.data(), params.size());
}

TEST_CASE("ch09: bilinear_sample_backward matches finite differences for the input and the grid") {
    Rng rng(5);
    const int B = 2, C = 3, H_in = 5, W_in = 6, H_out = 4, W_out = 3;
    const size_t npts = (size_t)B * H_out * W_out;
    Buf inp = random_buf((size_t)B * C * H_in * W_in, rng), grid(npts * 2);
    // Sample points at least 0.15 pixel from a kink; a step of ε = 1e-2 in x moves ix by only
    // ε·W_in/2 = 0.03. Cells run from −1 to W_in − 1, so some points are half outside the image.
    for (size_t p = 0; p < npts; p++) {
        grid[2 * p] = coord_away_from_kinks(rng, W_in, 0.15f);
        grid[2 * p + 1] = coord_away_from_kinks(rng, H_in, 0.15f);
    }
    grid[0] = -1.3f;  // and one point wholly outside: its gradient is 0, and must come out 0
    const std::vector<int> cell0 = cells(grid.data(), npts, H_in, W_in);
    Buf out((size_t)B * C * H_out * W_out), R = random_buf(out.size(), rng);
    auto loss = [&]() -> double {
        if (cells(grid.data(), npts, H_in, W_in) != cell0) return NAN;  // crossed a kink
        bilinear_sample_forward(out.data(), inp.data(), grid.data(), B, C, H_in, W_in, H_out, W_out);
        return dot_double(out.data(), R.data(), out.size());
    };
    Buf dinp(inp.size(), 0.0f), dgrid(grid.size(), 0.0f);
    bilinear_sample_backward(dinp.data(), dgrid.data(), R.data(), inp.data(), grid.data(), B, C, H_in, W_in, H_out,
                             W_out);
    CHECK(dgrid[0] == 0.0f);
    check_gradient("inp (bilinear_sample)", loss, inp.data(), dinp.data(), inp.size());
    check_gradient("grid (bilinear_sample)", loss, grid.data(), dgrid.data(), grid.size());
    // The pixels no sample point touches get no gradient; the check above would also catch a
    // backward that wrote to them, but say it plainly: some of dinp is exactly 0, most is not.
    int zeros = 0;
    for (float v : dinp) zeros += v == 0.0f;
    CHECK(zeros > 0);
    CHECK(zeros < (int)dinp.size() / 2);
}

TEST_CASE("ch09: gradient through the whole transformer: (s,tx,ty) -> theta -> grid -> sample") {
    Rng rng(6);
    const int B = 2, C = 2, H_in = 7, W_in = 9, H_out = 4, W_out = 5;
    const size_t npts = (size_t)B * H_out * W_out;
    Buf inp = random_buf((size_t)B * C * H_in * W_in, rng);
    Buf theta((size_t)B * 6), grid(npts * 2), out((size_t)B * C * H_out * W_out);
    Buf R = random_buf(out.size(), rng);
    // A random θ near a zoomed, rotated frame, redrawn until every sample point is at least 0.03 pixel
    // from a kink: a step of ε = 1e-3 in θ moves a point by at most 1e-3·(|x|+|y|+1)·W_in/2 < 0.014.
    for (int b = 0; b < B; b++) {
        for (int tries = 0;; tries++) {
            REQUIRE(tries < 10000);
            float* th = theta.data() + b * 6;
            fill_uniform(th, 6, rng, -0.6f, 0.6f);
            th[0] += 0.4f, th[4] += 0.4f;
            affine_grid_forward(grid.data(), theta.data(), B, H_out, W_out);
            if (kink_distance(grid.data() + (size_t)b * H_out * W_out * 2, H_out * W_out, H_in, W_in) > 0.03f) break;
        }
    }
    affine_grid_forward(grid.data(), theta.data(), B, H_out, W_out);
    const std::vector<int> cell0 = cells(grid.data(), npts, H_in, W_in);
    auto loss = [&]() -> double {
        affine_grid_forward(grid.data(), theta.data(), B, H_out, W_out);
        if (cells(grid.data(), npts, H_in, W_in) != cell0) return NAN;
        bilinear_sample_forward(out.data(), inp.data(), grid.data(), B, C, H_in, W_in, H_out, W_out);
        return dot_double(out.data(), R.data(), out.size());
    };
    loss();
    Buf dgrid(grid.size(), 0.0f), dtheta(theta.size(), 0.0f);
    bilinear_sample_backward(nullptr, dgrid.data(), R.data(), inp.data(), grid.data(), B, C, H_in, W_in, H_out, W_out);
    affine_grid_backward(dtheta.data(), dgrid.data(), B, H_out, W_out);
    GradCheckOptions opt;
    opt.eps = 1e-3;
    check_gradient("theta (grid -> sample)", loss, theta.data(), dtheta.data(), theta.size(), opt);
    GradCheckResult r = gradcheck(loss, theta.data(), dtheta.data(), theta.size(), opt);
    CHECK(r.skipped == 0);  // the θ above was chosen so that no step crosses a kink

    // The attention parametrisation on top: a window of side s at (tx, ty), redrawn until every point
    // is 0.01 pixel from a kink (a step of 1e-3 in s, tx or ty moves a point by at most 0.0045 pixel).
    Buf params(B * 3), dparams(params.size(), 0.0f);
    for (int tries = 0;; tries++) {
        REQUIRE(tries < 10000);
        for (int b = 0; b < B; b++)
            params[b * 3] = rng.uniform(0.4f, 0.9f), params[b * 3 + 1] = rng.uniform(-0.3f, 0.3f),
                      params[b * 3 + 2] = rng.uniform(-0.3f, 0.3f);
        attention_theta_forward(theta.data(), params.data(), B);
        affine_grid_forward(grid.data(), theta.data(), B, H_out, W_out);
        if (kink_distance(grid.data(), npts, H_in, W_in) > 0.01f) break;
    }
    const std::vector<int> cell1 = cells(grid.data(), npts, H_in, W_in);
    auto loss_p = [&]() -> double {
        attention_theta_forward(theta.data(), params.data(), B);
        affine_grid_forward(grid.data(), theta.data(), B, H_out, W_out);
        if (cells(grid.data(), npts, H_in, W_in) != cell1) return NAN;
        bilinear_sample_forward(out.data(), inp.data(), grid.data(), B, C, H_in, W_in, H_out, W_out);
        return dot_double(out.data(), R.data(), out.size());
    };
    std::fill(dgrid.begin(), dgrid.end(), 0.0f);
    std::fill(dtheta.begin(), dtheta.end(), 0.0f);
    bilinear_sample_backward(nullptr, dgrid.data(), R.data(), inp.data(), grid.data(), B, C, H_in, W_in, H_out, W_out);
    affine_grid_backward(dtheta.data(), dgrid.data(), B, H_out, W_out);
    attention_theta_backward(dparams.data(), dtheta.data(), B);
    check_gradient("(s, tx, ty) (theta -> grid -> sample)", loss_p, params.data(), dparams.data(), params.size(), opt);
    r = gradcheck(loss_p, params.data(), dparams.data(), params.size(), opt);
    CHECK(r.skipped == 0);
}

// ---- tier 3: PyTorch ------------------------------------------------------------------------

static void check_torch_case(const Fixture& fx, const std::string& name) {
    INFO("fixture case " << name);
    const auto& x = get(fx, name + ".inp");
    const auto& ref = get(fx, name + ".out");
    const int B = x.shape[0], C = x.shape[1], H_in = x.shape[2], W_in = x.shape[3];
    const int H_out = ref.shape[2], W_out = ref.shape[3];
    Buf theta(get(fx, name + ".theta").v.begin(), get(fx, name + ".theta").v.end());
    Buf inp(x.v.begin(), x.v.end()), grid((size_t)B * H_out * W_out * 2), out(ref.v.size());
    affine_grid_forward(grid.data(), theta.data(), B, H_out, W_out);
    if (fx.count(name + ".grid")) CHECK(max_abs_diff(grid.data(), get(fx, name + ".grid").v.data(), grid.size()) < 1e-6);
    bilinear_sample_forward(out.data(), inp.data(), grid.data(), B, C, H_in, W_in, H_out, W_out);
    CHECK(max_abs_diff(out.data(), ref.v.data(), out.size()) < 1e-5);

    Buf dinp(inp.size(), 0.0f), dgrid(grid.size(), 0.0f), dtheta(theta.size(), 0.0f);
    bilinear_sample_backward(dinp.data(), dgrid.data(), get(fx, name + ".R").v.data(), inp.data(), grid.data(), B, C,
                             H_in, W_in, H_out, W_out);
    affine_grid_backward(dtheta.data(), dgrid.data(), B, H_out, W_out);
    CHECK(max_abs_diff(dinp.data(), get(fx, name + ".dinp").v.data(), dinp.size()) < 1e-5);
    if (fx.count(name + ".dgrid"))
        CHECK(max_abs_diff(dgrid.data(), get(fx, name + ".dgrid").v.data(), dgrid.size()) < 1e-5);
    // dθ is a sum over every output pixel, up to ~30 in size: compare it relative to its magnitude.
    const auto& dth_ref = get(fx, name + ".dtheta").v;
    for (size_t k = 0; k < dtheta.size(); k++)
        CHECK(std::fabs(dtheta[k] - dth_ref[k]) <= 1e-5 * std::fmax(1.0, std::fabs(dth_ref[k])));
}

TEST_CASE("ch09: affine_grid + bilinear sampler equal PyTorch's affine_grid + grid_sample") {
    Fixture fx = load_fixture("stn.txt");
    check_torch_case(fx, "a");  // output 5x6 from 7x9: near-identity, and a rotation partly outside
    check_torch_case(fx, "b");  // output 9x11 from 7x9: a zoom in (s = 0.5) and a rotated zoom out
}

// ---- tier 4: determinism --------------------------------------------------------------------

TEST_CASE("ch09: the sampler is bit-identical on 1 and 3 threads, and dgrid does not depend on dinp") {
    const int B = 5, C = 3, H_in = 12, W_in = 10, H_out = 9, W_out = 11;
    Rng rng(7);
    Buf inp = random_buf((size_t)B * C * H_in * W_in, rng), theta((size_t)B * 6);
    for (int b = 0; b < B; b++) {
        fill_uniform(theta.data() + b * 6, 6, rng, -0.5f, 0.5f);
        theta[b * 6 + 0] += 0.8f, theta[b * 6 + 4] += 0.8f;
    }
    Buf dout = random_buf((size_t)B * C * H_out * W_out, rng);
    struct Run {
        Buf out, dinp, dgrid, dgrid_only, dtheta;
    };
    auto run = [&](int threads) {
        set_threads(threads);
        Run r;
        Buf grid((size_t)B * H_out * W_out * 2);
        r.out.assign((size_t)B * C * H_out * W_out, 0.0f);
        affine_grid_forward(grid.data(), theta.data(), B, H_out, W_out);
        bilinear_sample_forward(r.out.data(), inp.data(), grid.data(), B, C, H_in, W_in, H_out, W_out);
        r.dinp.assign(inp.size(), 0.0f), r.dgrid.assign(grid.size(), 0.0f), r.dgrid_only.assign(grid.size(), 0.0f);
        r.dtheta.assign(theta.size(), 0.0f);
        bilinear_sample_backward(r.dinp.data(), r.dgrid.data(), dout.data(), inp.data(), grid.data(), B, C, H_in, W_in,
                                 H_out, W_out);
        bilinear_sample_backward(nullptr, r.dgrid_only.data(), dout.data(), inp.data(), grid.data(), B, C, H_in, W_in,
                                 H_out, W_out);
        affine_grid_backward(r.dtheta.data(), r.dgrid.data(), B, H_out, W_out);
        return r;
    };
    Run a = run(1), b = run(3);
    set_threads(0);
    CHECK(a.out == b.out);
    CHECK(a.dinp == b.dinp);
    CHECK(a.dgrid == b.dgrid);
    CHECK(a.dtheta == b.dtheta);
    CHECK(a.dgrid_only == a.dgrid);  // the two partitions (by image, by pixel) compute dgrid alike
    CHECK(b.dgrid_only == a.dgrid);
}
