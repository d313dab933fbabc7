// im2col.cpp — the im2col matrix of an image and col2im, its adjoint; see im2col.hpp.
#include "common/nn/im2col.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "common/core/vmath.hpp"  // vecf, veci, select: VL lanes at a time

namespace attn {

// The output columns x whose input column ix = x·s − pad + j lies inside [0, Wd): x in [lo, hi).
// Outside that range the row holds padding zeros; inside it no test is needed per element.
static void inside_range(int j, int stride, int pad, int Wd, int OW, int& lo, int& hi) {
    lo = 0;
    while (lo < OW && lo * stride - pad + j < 0) lo++;
    hi = lo;
    while (hi < OW && hi * stride - pad + j < Wd) hi++;
}

// The common case stride 1 with "same" padding (OW = Wd, as a 3×3 conv with padding 1): output row
// y of the (i, j) row of cols is input row y + di shifted by dj, and since both rows are Wd wide the
// whole plane is one shifted copy,
//   row[q] = in_c[q + shift],   q = y·OW + x,   shift = di·Wd + dj,
// except where (y + di, x + dj) lies outside the image: there row[q] = 0, the padding. Which q those
// are depends only on the shape and on (i, j), so a table holds them (same_masks): for each (i, j) a
// mask of P lanes, all ones inside the image, zeros outside. The copy goes VL floats at a time, a
// vector load from in_c + q + shift and a select with the mask: no test and no call per row.
//   History: a library call per 7-, 14- or 28-float row made im2col 16 % of chapter 11's step; one
//   contiguous copy per plane with zero fills around it then still made im2col (with its fills and
//   copies) a quarter of the last stage's weight gradient (7×7 planes: the fills cost as much as the
//   copy). With the masks, a batch of 128 on one thread, chapter 11's last stage: forward 4.14 →
//   3.60 ms, weight gradient 4.77 → 3.71, input gradient 5.00 → 3.55; its middle stage's input gradient
//   5.43 → 4.10 (medians of 8 alternating runs); its first stage (28×28, one copy of 756 floats per
//   plane before) is unchanged within noise.
// The vector loads read lanes outside the plane too (neighbouring planes' pixels, which the mask
// drops), so they are made only where all VL floats lie inside the image's own input [0, n); the few
// vectors at the edges of its first and last planes go lane by lane.
using kernels::VL;
using kernels::vecf;
using vm::veci;

// The masks of a "same" convolution's KH·KW rows, (KH·KW, P) ints with P = OH·Wd: −1 (all bits) where
// (y + i − pad, x + j − pad) is a pixel of the H × Wd image, 0 where it is padding. Each thread keeps
// the tables of the shapes it has met (a model has a handful: chapter 11's step alternates three),
// so a table is built once, not at every layer of every step.
static const int* same_masks(int H, int Wd, int OH, int KH, int KW, int pad) {
    struct Table {
        std::array<int, 6> shape;
        std::vector<int> masks;
    };
    thread_local std::vector<Table> tables;
    const std::array<int, 6> shape = {H, Wd, OH, KH, KW, pad};
    for (const Table& t : tables)
        if (t.shape == shape) return t.masks.data();
    if (tables.size() >= 16) tables.clear();  // many shapes (the tests): start over; no caller holds one
    const size_t P = (size_t)OH * Wd;
    std::vector<int> masks((size_t)KH * KW * P);
    for (int i = 0; i < KH; i++)
        for (int j = 0; j < KW; j++)
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < Wd; x++) {
                    const int iy = y + i - pad, ix = x + j - pad;
                    masks[(size_t)(i * KW + j) * P + (size_t)y * Wd + x] =
                        (iy >= 0 && iy < H && ix >= 0 && ix < Wd) ? -1 : 0;
                }
    tables.push_back({shape, std::move(masks)});
    return tables.back().masks.data();
}
inline veci load_mask(const int* m) {
    veci v;
    __builtin_memcpy(&v, m, sizeof v);
    return v;
}
// Whether the VL floats from image position `at` lie inside the image's [0, n)
inline bool whole_vector(std::ptrdiff_t at, std::ptrdiff_t n) { return at >= 0 && at + VL <= n; }

// row (P) = the plane in_c shifted by `shift`, masked: row[q] = mask[q] ? in_c[q + shift] : 0. in_c
// starts `at` floats into an image of n floats.
static void im2col_same(float* row, const float* in_c, std::ptrdiff_t at, std::ptrdiff_t n, std::ptrdiff_t shift,
                        const int* mask, int P) {
    int q = 0;
    for (; q + VL <= P; q += VL) {
        if (whole_vector(at + shift + q, n))
            kernels::storev(row + q, vm::select(load_mask(mask + q), kernels::loadv(in_c + (shift + q)), vecf{}));
        else  // in_c[shift + q + t] is read only where the mask says it is a pixel
            for (int t = 0; t < VL; t++) row[q + t] = mask[q + t] ? in_c[shift + q + t] : 0.0f;
    }
    for (; q < P; q++) row[q] = mask[q] ? in_c[shift + q] : 0.0f;
}

void im2col(float* cols_b, const float* inp_b, int C_in, int H, int Wd, int KH, int KW, int stride, int pad,
                   int OH, int OW, size_t ld, int r0, int r1) {
    const bool same = stride == 1 && OW == Wd;  // "same" padding: one masked copy per plane (im2col_same)
    const int* masks = same ? same_masks(H, Wd, OH, KH, KW, pad) : nullptr;
    const std::ptrdiff_t n = (std::ptrdiff_t)C_in * H * Wd, P = (std::ptrdiff_t)OH * OW;
    for (int r = r0; r < r1; r++) {
        const int c = r / (KH * KW), i = r / KW % KH, j = r % KW;  // r = (c·KH + i)·KW + j
        float* row = cols_b + (size_t)(r - r0) * ld;
        if (same) {
            const std::ptrdiff_t at = (std::ptrdiff_t)c * H * Wd;
            im2col_same(row, inp_b + at, at, n, (std::ptrdiff_t)(i - pad) * Wd + (j - pad), masks + (i * KW + j) * P,
                        (int)P);
            continue;
        }
        int lo, hi;
        inside_range(j, stride, pad, Wd, OW, lo, hi);
        for (int y = 0; y < OH; y++) {
            float* out = row + (size_t)y * OW;
            int iy = y * stride - pad + i;
            if (iy < 0 || iy >= H) {  // a padding row
                std::fill(out, out + OW, 0.0f);
                continue;
            }
            const float* src = inp_b + ((size_t)c * H + iy) * Wd;  // src[x·s + off] = inp_b[c, iy, ix]
            const int off = j - pad;                                 // x ≥ lo keeps x·s + off ≥ 0
            if (lo > 0) std::fill(out, out + lo, 0.0f);              // (no padding, as chapter 09's: no call)
            if (stride == 1)
                short_run<false>(out + lo, src + lo + off, hi - lo);
            else
                for (int x = lo; x < hi; x++) out[x] = src[x * stride + off];
            if (hi < OW) std::fill(out + hi, out + OW, 0.0f);
        }
    }
}

// The adjoint of im2col_same: row (i, j) of dcols adds into the plane shifted by `shift`,
//   in_c[q + shift] += row[q]   where mask[q],
// VL lanes at a time: the sum for every lane, the mask's lanes stored and the others' old values
// written back unchanged (a select, not an add of 0, which would turn a −0 into +0). Those lanes lie
// in this image (whole_vector), which only this thread writes, so nothing changes under anyone.
// A pixel gets one term per row, added in the order of the rows as before: the same sums.
static void col2im_same(float* in_c, const float* row, std::ptrdiff_t at, std::ptrdiff_t n, std::ptrdiff_t shift,
                        const int* mask, int P) {
    int q = 0;
    for (; q + VL <= P; q += VL) {
        if (whole_vector(at + shift + q, n)) {
            float* dst = in_c + (shift + q);
            const vecf old = kernels::loadv(dst);
            kernels::storev(dst, vm::select(load_mask(mask + q), old + kernels::loadv(row + q), old));
        } else {
            for (int t = 0; t < VL; t++)
                if (mask[q + t]) in_c[shift + q + t] += row[q + t];
        }
    }
    for (; q < P; q++)
        if (mask[q]) in_c[shift + q] += row[q];
}

// the adjoint of im2col: every column entry adds back into the pixel it was copied from
void col2im_add(float* dinp_b, const float* dcols_b, int C_in, int H, int Wd, int KH, int KW, int stride,
                       int pad, int OH, int OW, size_t ld) {
    const bool same = stride == 1 && OW == Wd;  // "same" padding: one masked run per plane (col2im_same)
    const int* masks = same ? same_masks(H, Wd, OH, KH, KW, pad) : nullptr;
    const std::ptrdiff_t n = (std::ptrdiff_t)C_in * H * Wd, P = (std::ptrdiff_t)OH * OW;
    for (int c = 0; c < C_in; c++)
        for (int i = 0; i < KH; i++)
            for (int j = 0; j < KW; j++) {
                const float* row = dcols_b + ((size_t)(c * KH + i) * KW + j) * ld;
                if (same) {
                    const std::ptrdiff_t at = (std::ptrdiff_t)c * H * Wd;
                    col2im_same(dinp_b + at, row, at, n, (std::ptrdiff_t)(i - pad) * Wd + (j - pad),
                                masks + (i * KW + j) * P, (int)P);
                    continue;
                }
                int lo, hi;
                inside_range(j, stride, pad, Wd, OW, lo, hi);
                for (int y = 0; y < OH; y++) {
                    int iy = y * stride - pad + i;
                    if (iy < 0 || iy >= H) continue;  // padding: nothing to send back
                    float* dst = dinp_b + ((size_t)c * H + iy) * Wd;  // dst[x·s + off] is pixel (iy, ix)
                    const int off = j - pad;
                    const float* g = row + (size_t)y * OW;
                    if (stride == 1)
                        short_run<true>(dst + lo + off, g + lo, hi - lo);
                    else
                        for (int x = lo; x < hi; x++) dst[x * stride + off] += g[x];
                }
            }
}

}  // namespace attn
