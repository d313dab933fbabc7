#include "common/data/synth_images.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/core/rng.hpp"

namespace attn {

namespace {

// A new set of count images of rows×cols with the labels and class names of src.
ImageSet like(const ImageSet& src, int rows, int cols, const std::string& name, const std::string& what,
              uint64_t seed) {
    ImageSet out;
    out.name = name;
    out.source = "synthetic: " + what + " seed=" + std::to_string(seed) + " of " + src.name + " [" + src.source + "]";
    out.count = src.count;
    out.rows = rows;
    out.cols = cols;
    out.pixels.assign((size_t)src.count * rows * cols, 0.0f);
    out.labels = src.labels;
    out.num_classes = src.num_classes;
    out.class_names = src.class_names;
    return out;
}

// canvas 0: no canvas to fit in
void check_source(const ImageSet& src, int canvas, const char* where) {
    if (src.count <= 0 || src.rows <= 0 || src.cols <= 0 || src.pixels.size() != (size_t)src.count * src.rows * src.cols)
        fail(where, "a non-empty source image set whose pixels match count×rows×cols");
    if (canvas > 0 && (canvas < src.rows || canvas < src.cols))
        fail(where, "a canvas at least as large as the " + std::to_string(src.rows) + "x" + std::to_string(src.cols) +
                        " images, got " + std::to_string(canvas));
}

// canvas (C,C) at (y0,x0) <- max(canvas, img[r0.., c0..]) for an h×w block; img has `cols` columns
void paste_max(float* canvas, int C, int y0, int x0, const float* img, int cols, int r0, int c0, int h, int w) {
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            float& dst = canvas[(size_t)(y0 + r) * C + x0 + c];
            dst = std::max(dst, img[(size_t)(r0 + r) * cols + c0 + c]);
        }
}

// bilinear sample of img (H,W) at (y, x) in pixel coordinates, 0 outside the image
float bilinear(const float* img, int H, int W, float y, float x) {
    int y0 = (int)std::floor(y), x0 = (int)std::floor(x);
    float fy = y - y0, fx = x - x0;
    auto at = [&](int r, int c) { return (r < 0 || r >= H || c < 0 || c >= W) ? 0.0f : img[(size_t)r * W + c]; };
    // v = (1−fy)((1−fx) v00 + fx v01) + fy((1−fx) v10 + fx v11)
    return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
}

}  // namespace

// ---- canvases ---------------------------------------------------------------------------------
ImageSet make_translated(const ImageSet& src, int canvas, uint64_t seed) {
    check_source(src, canvas, "make_translated");
    Rng rng(seed);
    ImageSet out = like(src, canvas, canvas, "translated-" + std::to_string(canvas),
                        "translated canvas=" + std::to_string(canvas), seed);
    for (int i = 0; i < src.count; i++) {
        int y0 = rng.randint(0, canvas - src.rows), x0 = rng.randint(0, canvas - src.cols);
        paste_max(out.pixels.data() + (size_t)i * canvas * canvas, canvas, y0, x0, src.image(i), src.cols, 0, 0,
                  src.rows, src.cols);
    }
    return out;
}

ImageSet make_cluttered(const ImageSet& src, int canvas, int n_pieces, int piece, uint64_t seed) {
    check_source(src, canvas, "make_cluttered");
    if (piece < 1 || piece > src.rows || piece > src.cols || n_pieces < 0)
        fail("make_cluttered", "0 <= n_pieces and 1 <= piece <= image size, got n_pieces=" + std::to_string(n_pieces) +
                                   " piece=" + std::to_string(piece));
    Rng rng(seed);
    ImageSet out = like(src, canvas, canvas, "cluttered-" + std::to_string(canvas),
                        "cluttered canvas=" + std::to_string(canvas) + " pieces=" + std::to_string(n_pieces) + "x" +
                            std::to_string(piece),
                        seed);
    for (int i = 0; i < src.count; i++) {
        float* dst = out.pixels.data() + (size_t)i * canvas * canvas;
        int y0 = rng.randint(0, canvas - src.rows), x0 = rng.randint(0, canvas - src.cols);
        paste_max(dst, canvas, y0, x0, src.image(i), src.cols, 0, 0, src.rows, src.cols);
        for (int k = 0; k < n_pieces; k++) {
            int j = (int)rng.below(src.count);
            if (j == i && src.count > 1) j = (j + 1) % src.count;  // clutter comes from OTHER images
            int r0 = rng.randint(0, src.rows - piece), c0 = rng.randint(0, src.cols - piece);
            int py = rng.randint(0, canvas - piece), px = rng.randint(0, canvas - piece);
            paste_max(dst, canvas, py, px, src.image(j), src.cols, r0, c0, piece, piece);
        }
    }
    return out;
}

// ---- affine distortions -----------------------------------------------------------------------
DistortOptions distort_seed_example() { return {60.0f, 0.4f, 1.0f, 0.3f, 0.0f, 28}; }
DistortOptions distort_rts() { return {45.0f, 0.7f, 1.2f, 7.0f / 42.0f, 0.0f, 42}; }
DistortOptions distort_rotation() { return {90.0f, 1.0f, 1.0f, 0.0f, 0.0f, 28}; }

ImageSet make_distorted(const ImageSet& src, const DistortOptions& o, uint64_t seed) {
    check_source(src, 0, "make_distorted");
    if (o.out_size < 1 || o.scale_min <= 0 || o.scale_max < o.scale_min || o.rot_deg < 0 || o.translate < 0 || o.shear < 0)
        fail("make_distorted", "out_size >= 1, 0 < scale_min <= scale_max and non-negative ranges");
    Rng rng(seed);
    const int S = o.out_size, H = src.rows, W = src.cols;
    char what[160];
    std::snprintf(what, sizeof what, "distorted rot=+-%g scale=%g..%g translate=%g shear=%g out=%d", o.rot_deg,
                  o.scale_min, o.scale_max, o.translate, o.shear, S);
    ImageSet out = like(src, S, S, src.name + "-distorted-" + std::to_string(S), what, seed);
    const float cy_in = (H - 1) * 0.5f, cx_in = (W - 1) * 0.5f, c_out = (S - 1) * 0.5f;
    for (int i = 0; i < src.count; i++) {
        float theta = rng.uniform(-o.rot_deg, o.rot_deg) * 3.14159265358979f / 180.0f;
        float s = rng.uniform(o.scale_min, o.scale_max), h = rng.uniform(-o.shear, o.shear);
        float tx = rng.uniform(-o.translate, o.translate) * S, ty = rng.uniform(-o.translate, o.translate) * S;
        // A = R(θ) · s · [[1, h], [0, 1]] = s [[cos, h cos − sin], [sin, h sin + cos]]  (x first, y second)
        float c = std::cos(theta), sn = std::sin(theta);
        float a00 = s * c, a01 = s * (h * c - sn), a10 = s * sn, a11 = s * (h * sn + c);
        float det = a00 * a11 - a01 * a10;
        // A⁻¹ = [[a11, −a01], [−a10, a00]] / det
        float i00 = a11 / det, i01 = -a01 / det, i10 = -a10 / det, i11 = a00 / det;
        const float* img = src.image(i);
        float* dst = out.pixels.data() + (size_t)i * S * S;
        for (int r = 0; r < S; r++)
            for (int col = 0; col < S; col++) {
                float dx = col - c_out - tx, dy = r - c_out - ty;  // p_out − c_out − t
                float x = i00 * dx + i01 * dy + cx_in, y = i10 * dx + i11 * dy + cy_in;
                dst[(size_t)r * S + col] = std::clamp(bilinear(img, H, W, y, x), 0.0f, 1.0f);
            }
    }
    return out;
}

// ---- procedural digits ------------------------------------------------------------------------
namespace {

struct P {
    float x, y;
};
using Polyline = std::vector<P>;

Polyline ellipse(float cx, float cy, float rx, float ry) {
    Polyline p;
    for (int k = 0; k <= 16; k++) {
        float a = k * 6.2831853f / 16;
        p.push_back({cx + rx * std::cos(a), cy + ry * std::sin(a)});
    }
    return p;
}

// skeletons in a unit box: x right, y down
std::vector<Polyline> skeleton(int d) {
    switch (d) {
        case 0: return {ellipse(0.5f, 0.5f, 0.42f, 0.5f)};
        case 1: return {{{0.3f, 0.2f}, {0.55f, 0.0f}, {0.55f, 1.0f}}};
        case 2: return {{{0.1f, 0.25f}, {0.25f, 0.05f}, {0.5f, 0.0f}, {0.75f, 0.05f}, {0.88f, 0.25f}, {0.8f, 0.45f},
                         {0.1f, 1.0f}, {0.92f, 1.0f}}};
        case 3: return {{{0.1f, 0.1f}, {0.35f, 0.0f}, {0.7f, 0.02f}, {0.85f, 0.2f}, {0.75f, 0.4f}, {0.4f, 0.48f}},
                        {{0.4f, 0.48f}, {0.8f, 0.58f}, {0.9f, 0.8f}, {0.7f, 0.98f}, {0.35f, 1.0f}, {0.1f, 0.9f}}};
        case 4: return {{{0.65f, 1.0f}, {0.65f, 0.0f}, {0.05f, 0.68f}, {0.95f, 0.68f}}};
        case 5: return {{{0.88f, 0.0f}, {0.2f, 0.0f}, {0.15f, 0.45f}, {0.5f, 0.38f}, {0.82f, 0.5f}, {0.9f, 0.75f},
                         {0.7f, 0.97f}, {0.35f, 1.0f}, {0.1f, 0.9f}}};
        case 6: return {{{0.75f, 0.0f}, {0.4f, 0.2f}, {0.15f, 0.55f}, {0.15f, 0.8f}, {0.35f, 1.0f}, {0.7f, 0.98f},
                         {0.88f, 0.78f}, {0.75f, 0.55f}, {0.45f, 0.5f}, {0.18f, 0.65f}}};
        case 7: return {{{0.05f, 0.0f}, {0.95f, 0.0f}, {0.45f, 1.0f}}};
        case 8: return {ellipse(0.5f, 0.25f, 0.32f, 0.25f), ellipse(0.5f, 0.73f, 0.4f, 0.27f)};
        default: return {ellipse(0.45f, 0.3f, 0.35f, 0.3f), {{0.8f, 0.3f}, {0.75f, 0.65f}, {0.65f, 1.0f}}};
    }
}

float dist_to_segment(float px, float py, P a, P b) {
    float vx = b.x - a.x, vy = b.y - a.y, wx = px - a.x, wy = py - a.y;
    float len2 = vx * vx + vy * vy;
    float t = len2 > 0 ? std::clamp((wx * vx + wy * vy) / len2, 0.0f, 1.0f) : 0.0f;
    float dx = wx - t * vx, dy = wy - t * vy;
    return std::sqrt(dx * dx + dy * dy);
}

// one 28×28 digit into img
void draw_digit(float* img, int d, Rng& rng) {
    const int N = 28;
    float theta = rng.uniform(-12.0f, 12.0f) * 3.14159265f / 180.0f, s = rng.uniform(0.85f, 1.1f);
    float h = rng.uniform(-0.25f, 0.25f), tx = rng.uniform(-2.0f, 2.0f), ty = rng.uniform(-2.0f, 2.0f);
    float half = rng.uniform(0.9f, 1.9f);  // half stroke width, px
    float c = std::cos(theta), sn = std::sin(theta);
    std::vector<Polyline> lines = skeleton(d);
    for (Polyline& l : lines)
        for (P& p : l) {  // unit box -> 14×20 px box centred at (14, 14), jittered, then the affine map
            float x = (p.x + rng.uniform(-0.04f, 0.04f) - 0.5f) * 14.0f;
            float y = (p.y + rng.uniform(-0.04f, 0.04f) - 0.5f) * 20.0f;
            x += h * y;
            p = {14.0f + tx + s * (c * x - sn * y), 14.0f + ty + s * (sn * x + c * y)};
        }
    std::vector<float> raw(N * N);
    for (int r = 0; r < N; r++)
        for (int col = 0; col < N; col++) {
            float dmin = INFINITY;
            for (const Polyline& l : lines)
                for (size_t k = 0; k + 1 < l.size(); k++) dmin = std::min(dmin, dist_to_segment(col, r, l[k], l[k + 1]));
            raw[r * N + col] = std::clamp(half + 0.5f - dmin, 0.0f, 1.0f);  // anti-aliased edge, 1 px wide
        }
    // 3×3 blur with weights [1 2 1]ᵀ[1 2 1] / 16, zero outside
    for (int r = 0; r < N; r++)
        for (int col = 0; col < N; col++) {
            float acc = 0;
            for (int dr = -1; dr <= 1; dr++)
                for (int dc = -1; dc <= 1; dc++) {
                    int rr = r + dr, cc = col + dc;
                    if (rr < 0 || rr >= N || cc < 0 || cc >= N) continue;
                    acc += (2 - std::abs(dr)) * (2 - std::abs(dc)) * raw[rr * N + cc];
                }
            img[r * N + col] = std::min(1.0f, acc / 16.0f * 1.25f);  // slight gain keeps stroke centres at 1
        }
}

}  // namespace

ImageSet synth_digits(int n, uint64_t seed) {
    if (n < 0) fail("synth_digits", "n >= 0, got " + std::to_string(n));
    Rng rng(seed);
    ImageSet out;
    out.name = "synthetic-digits";
    out.source = "synthetic: digits seed=" + std::to_string(seed) + " n=" + std::to_string(n);
    out.count = n;
    out.rows = out.cols = 28;
    out.pixels.assign((size_t)n * 28 * 28, 0.0f);
    out.labels.resize(n);
    out.num_classes = 10;
    for (int k = 0; k < 10; k++) out.class_names.push_back(std::to_string(k));
    for (int i = 0; i < n; i++) {
        out.labels[i] = (int)rng.below(10);
        draw_digit(out.pixels.data() + (size_t)i * 784, out.labels[i], rng);
    }
    return out;
}

}  // namespace attn
