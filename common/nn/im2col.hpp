// im2col.hpp — the im2col matrix of an image and its adjoint, col2im (conv2d.hpp says why a
// convolution builds it), and the short copies both make.
#pragma once
#include <algorithm>
#include <cstddef>

#include "common/core/matmul_kernels.hpp"  // VL, vecf

namespace attn {

// cols_b (C_in·KH·KW, OH·OW): row (c,i,j), column (y,x) holds inp_b[c, y·s − pad + i, x·s − pad + j] or 0.
// Only rows [r0, r1) are written, row r at cols_b + (r − r0)·ld: all of them (r0 = 0, r1 = C_in·KH·KW)
// with ld = OH·OW packs one image's matrix; a larger ld writes the image's columns into a matrix of
// several images side by side (conv2d_forward's groups).
void im2col(float* cols_b, const float* inp_b, int C_in, int H, int Wd, int KH, int KW, int stride, int pad, int OH,
            int OW, size_t ld, int r0, int r1);
// the adjoint of im2col: every column entry adds back into the pixel it was copied from (dinp_b += ...;
// all the rows of dcols_b, row r at dcols_b + r·ld)
void col2im_add(float* dinp_b, const float* dcols_b, int C_in, int H, int Wd, int KH, int KW, int stride, int pad,
                int OH, int OW, size_t ld);

// A short run of floats, copied (dst[x] = src[x]) or added (dst[x] += src[x]) for x in [0, n), inline:
// whole vectors of VL floats, then at most one of VL/2 and one of VL/4, then single floats. The rows of
// a small image's planes are short (8 floats for chapter 09's 8×8 outputs, 24 for its 24×24), and
// std::copy made each one a library call: with its fills, two-thirds of chapter 09's second
// localisation conv went to copying, calls and all (perf: im2col 28 %, col2im 16 %, memmove 14 %,
// memset 8 %, the products 16 %). A copy is a copy and each added float gets the one term it got
// before, in the same order: the same bits.
// (The narrower vectors are named one by one: g++ 12 drops the vector_size of an alias template whose
// size depends on its parameter, leaving one float. With SSE's VL = 4 a quarter is one float, left to
// the loop: the type is then declared but not used.)
namespace short_runs {
using kernels::VL;
using kernels::vecf;
using vec_half = float __attribute__((vector_size(VL / 2 * sizeof(float))));
using vec_quarter = float __attribute__((vector_size(std::max(VL / 4, 2) * sizeof(float))));
template <class V, bool Add>
inline void run_part(float* dst, const float* src) {
    V s, d;
    __builtin_memcpy(&s, src, sizeof s);
    if constexpr (Add) {
        __builtin_memcpy(&d, dst, sizeof d);
        s = d + s;
    }
    __builtin_memcpy(dst, &s, sizeof s);
}
}  // namespace short_runs
// dst[x] = src[x] (Add: dst[x] += src[x]) for x in [0, n)
template <bool Add>
inline void short_run(float* dst, const float* src, int n) {
    using namespace short_runs;
    constexpr int half = VL / 2, quarter = VL / 4;
    int x = 0;
    for (; x + VL <= n; x += VL) run_part<vecf, Add>(dst + x, src + x);
    if (half >= 2 && x + half <= n) run_part<vec_half, Add>(dst + x, src + x), x += half;
    if (quarter >= 2 && x + quarter <= n) run_part<vec_quarter, Add>(dst + x, src + x), x += quarter;
    for (; x < n; x++) dst[x] = Add ? dst[x] + src[x] : src[x];
}

}  // namespace attn
