// Tests for the fast matmul (common/core/matmul.cpp) and the linear layer.
//
// Fast vs naive: both sum each element in the same k order, but the compiler decides on its own
// whether `acc += a*b` becomes one fused multiply-add (the fast kernel: yes) or a rounded product
// then a rounded add (g++ vectorises the naive loop that way). So they agree to rounding, not to
// the bit. Tolerance: the classical error bound of a K-term sum, for each of the two, added:
//     |fast - naive| <= 2 (K+1) u (|C0| + Σ_k |a_ik b_kj|),   u = 2^-24,
// which a correct kernel can never exceed, while a kernel that drops or repeats one term (an error
// of about Σ|ab|/K) fails it for every K here.
// Across thread counts we require EXACT equality (memcmp): the partition never changes the order.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using attn::testing::random_buf;

namespace {
using MatmulFn = void (*)(float*, const float*, const float*, int, int, int, bool);
struct Layout {
    const char* name;
    MatmulFn fast, naive;
};
const Layout kLayouts[] = {{"nt", matmul_nt, matmul_nt_naive},
                           {"nn", matmul_nn, matmul_nn_naive},
                           {"tn", matmul_tn, matmul_tn_naive}};
struct Shape {
    int M, K, N;
};
// tiny ones (the small-product loop), odd edges in every dimension, K > KC (two K blocks), wide and
// short (threads split columns), and through the blocked path: one row, K = 1, M < MR, N > NC
// (two B panels)
const Shape kShapes[] = {{1, 1, 1},    {7, 13, 5},   {1, 300, 1},   {129, 257, 63}, {64, 520, 500},
                         {33, 1, 17},  {5, 40, 333}, {1, 300, 40},  {200, 1, 150},  {3, 5, 1100}};

bool same_bits(const Buf& a, const Buf& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
Buf abs_of(const Buf& x) {
    Buf y = x;
    for (float& v : y) v = std::fabs(v);
    return y;
}
// elements where |got - want| > 2 (K+1) u bound
size_t count_outside(const Buf& got, const Buf& want, const Buf& bound, int K) {
    const double u = 1.0 / (1 << 24);
    size_t n = 0;
    for (size_t i = 0; i < got.size(); i++)
        n += std::fabs((double)got[i] - want[i]) > 2.0 * (K + 1) * u * bound[i];
    return n;
}
}  // namespace

TEST_CASE("matmul: fast == naive to rounding, and bit-identical on 1, 2, 3 threads, for every layout") {
    Rng rng(42);
    for (const Layout& L : kLayouts)
        for (Shape s : kShapes)
            for (bool accumulate : {false, true}) {
                CAPTURE(L.name);
                CAPTURE(s.M);
                CAPTURE(s.K);
                CAPTURE(s.N);
                CAPTURE(accumulate);
                // A holds M*K numbers and B holds K*N numbers in every layout; only their order differs
                Buf A = random_buf((size_t)s.M * s.K, rng), B = random_buf((size_t)s.K * s.N, rng);
                Buf C0 = random_buf((size_t)s.M * s.N, rng);  // garbage to overwrite, or a sum to add to
                Buf want = C0;
                L.naive(want.data(), A.data(), B.data(), s.M, s.K, s.N, accumulate);
                Buf bound = abs_of(C0);  // |C0| + Σ_k |a_ik b_kj|  (or just the sum when overwriting)
                L.naive(bound.data(), abs_of(A).data(), abs_of(B).data(), s.M, s.K, s.N, accumulate);
                Buf first;
                for (int threads : {1, 2, 3}) {
                    set_threads(threads);
                    Buf got = C0;
                    L.fast(got.data(), A.data(), B.data(), s.M, s.K, s.N, accumulate);
                    CAPTURE(threads);
                    size_t bad = count_outside(got, want, bound, s.K);
                    CHECK_MESSAGE(bad == 0, bad << " elements differ from naive by more than the rounding bound");
                    if (threads == 1) first = got;
                    else CHECK_MESSAGE(same_bits(got, first), "result depends on the thread count");
                }
            }
    set_threads(0);
}

TEST_CASE("matmul: the naive twins agree with a hand-computed product") {
    // A = [1 2; 3 4] (M=2,K=2), B = [5 6; 7 8] (K=2,N=2): A·B = [19 22; 43 50]
    float A[4] = {1, 2, 3, 4}, Bkn[4] = {5, 6, 7, 8}, Bnk[4] = {5, 7, 6, 8}, Akm[4] = {1, 3, 2, 4};
    float want[4] = {19, 22, 43, 50};
    float C[4];
    matmul_nn(C, A, Bkn, 2, 2, 2);
    for (int i = 0; i < 4; i++) CHECK(C[i] == want[i]);
    matmul_nt(C, A, Bnk, 2, 2, 2);
    for (int i = 0; i < 4; i++) CHECK(C[i] == want[i]);
    matmul_tn(C, Akm, Bkn, 2, 2, 2, true);  // accumulate: C = 2 * want
    for (int i = 0; i < 4; i++) CHECK(C[i] == 2 * want[i]);
}

TEST_CASE("matmul: K = 0 gives zeros (or leaves C alone when accumulating)") {
    Buf C(6, 3.0f);
    matmul_nt(C.data(), nullptr, nullptr, 2, 0, 3, true);
    for (float c : C) CHECK(c == 3.0f);
    matmul_nn(C.data(), nullptr, nullptr, 2, 0, 3);
    for (float c : C) CHECK(c == 0.0f);
}

TEST_CASE("linear_forward: hand-computed case, with and without bias") {
    // inp (M=2,K=3), W (N=2,K=3), b (N=2)
    float inp[6] = {1, 2, 3, 4, 5, 6};
    float W[6] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
    float b[2] = {10, -1};
    float out[4];
    linear_forward(out, inp, W, b, 2, 3, 2);
    // row 0: [1-3, 0.5*(1+2+3)] + b = [-2+10, 3-1];  row 1: [4-6, 0.5*15] + b = [-2+10, 7.5-1]
    float want[4] = {8, 2, 8, 6.5f};
    for (int i = 0; i < 4; i++) CHECK(out[i] == want[i]);
    linear_forward(out, inp, W, nullptr, 2, 3, 2);
    float want_nb[4] = {-2, 3, -2, 7.5f};
    for (int i = 0; i < 4; i++) CHECK(out[i] == want_nb[i]);
}

TEST_CASE("linear_backward: finite-difference gradient check of dinp, dW, db") {
    // big enough that the fast path (not the tiny-shape fallback) runs, on 2 threads
    set_threads(2);
    const int M = 9, K = 37, N = 21;
    Rng rng(7);
    Buf inp = random_buf((size_t)M * K, rng), W = random_buf((size_t)N * K, rng), b = random_buf(N, rng);
    Buf R = random_buf((size_t)M * N, rng);  // dout, and the weights of the scalar loss
    Buf out((size_t)M * N);
    auto loss = [&] {
        linear_forward(out.data(), inp.data(), W.data(), b.data(), M, K, N);
        return attn::testing::dot_double(out.data(), R.data(), out.size());
    };
    // backward accumulates: start from a nonzero value and subtract it afterwards
    Buf dinp((size_t)M * K, 0.5f), dW((size_t)N * K, 0.5f), db(N, 0.5f);
    linear_backward(dinp.data(), dW.data(), db.data(), R.data(), inp.data(), W.data(), M, K, N);
    for (float& x : dinp) x -= 0.5f;
    for (float& x : dW) x -= 0.5f;
    for (float& x : db) x -= 0.5f;
    attn::testing::check_gradient("dinp", loss, inp.data(), dinp.data(), inp.size());
    attn::testing::check_gradient("dW", loss, W.data(), dW.data(), W.size());
    attn::testing::check_gradient("db", loss, b.data(), db.data(), b.size());

    // db and the two matmuls are bit-identical on 1 and 3 threads
    for (int threads : {1, 3}) {
        set_threads(threads);
        Buf dinp2((size_t)M * K, 0.5f), dW2((size_t)N * K, 0.5f), db2(N, 0.5f);
        linear_backward(dinp2.data(), dW2.data(), db2.data(), R.data(), inp.data(), W.data(), M, K, N);
        for (float& x : dinp2) x -= 0.5f;
        for (float& x : dW2) x -= 0.5f;
        for (float& x : db2) x -= 0.5f;
        CHECK(same_bits(dinp2, dinp));
        CHECK(same_bits(dW2, dW));
        CHECK(same_bits(db2, db));
    }
    set_threads(0);
}

TEST_CASE("matmul_flops: 2·M·K·N per product, whichever layout and kernel (tiny or packed)") {
    std::vector<float> A(64 * 48, 0.5f), B(48 * 40, 0.25f), C(64 * 40);
    const long long f0 = attn::matmul_flops();
    attn::matmul_nt(C.data(), A.data(), B.data(), 2, 3, 4);     // tiny: the small-product loop
    CHECK(attn::matmul_flops() - f0 == 2 * 2 * 3 * 4);
    attn::matmul_nn(C.data(), A.data(), B.data(), 64, 48, 40);  // packed and threaded
    attn::matmul_tn(C.data(), A.data(), B.data(), 40, 48, 40, true);
    CHECK(attn::matmul_flops() - f0 == 2LL * (2 * 3 * 4 + 64 * 48 * 40 + 40 * 48 * 40));
}

TEST_CASE("linear_backward without accumulate: dinp gets the bits of += into zeros, dW and db still add") {
    for (int M : {3, 70}) {  // the tiny-shape loop and the packed kernel
        CAPTURE(M);
        const int K = 37, N = 21;
        Rng rng(8);
        Buf inp = random_buf((size_t)M * K, rng), W = random_buf((size_t)N * K, rng);
        Buf R = random_buf((size_t)M * N, rng);
        for (int j = 0; j < N; j++) R[j] = 0.0f;  // a row of zero gradients: products of ±0
        Buf added((size_t)M * K, 0.0f), written((size_t)M * K, NAN);
        Buf dW1((size_t)N * K, 0.5f), db1(N, 0.5f), dW2((size_t)N * K, 0.5f), db2(N, 0.5f);
        linear_backward(added.data(), dW1.data(), db1.data(), R.data(), inp.data(), W.data(), M, K, N);
        linear_backward(written.data(), dW2.data(), db2.data(), R.data(), inp.data(), W.data(), M, K, N,
                        /*accumulate=*/false);
        CHECK(same_bits(added, written));
        CHECK(same_bits(dW1, dW2));
        CHECK(same_bits(db1, db2));
    }
}

// The first m rows and n columns of a product, cut out of a (rows, cols) matrix stored row by row.
Buf corner(const Buf& x, int cols, int m, int n) {
    Buf y((size_t)m * n);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) y[(size_t)i * n + j] = x[(size_t)i * cols + j];
    return y;
}

TEST_CASE("matmul: a narrow, short or small product gives the bits of the same corner of a larger one") {
    // The larger product computes its top-left corner with whole tiles; the smaller one, whose rows or
    // columns stop inside a tile, with edge_kernel's narrower kernels (one vector per row, half the rows),
    // or, under 4096 multiply-adds, with the row-by-row loop of small_product.
    // Shapes as the attention's products of one head: 17 tokens × 16 floats, 8 tokens × 64, and others.
    const int Mb = 48, Nb = 96;  // whole tiles at the corner for any MR (4, 6 or 8) and NR (8, 16, 32)
    Rng rng(23);
    int checked = 0;
    for (int K : {16, 17, 64, 600})
        for (auto [m, n] : {std::pair{17, 16}, {17, 17}, {8, 8}, {1, 5}, {3, 16}, {4, 33}, {2, 1}, {33, 8}, {9, 40}, {14, 20}})
            for (const Layout& L : kLayouts)
                for (bool accumulate : {false, true}) {
                    // under 4096 multiply-adds the row-by-row loop runs instead (matmul.cpp): the same chain
                    checked++;
                    CAPTURE(L.name);
                    CAPTURE(K);
                    CAPTURE(m);
                    CAPTURE(n);
                    CAPTURE(accumulate);
                    // the operands as (M,K) and (K,N) matrices, stored in the layout's orientation
                    Buf A = random_buf((size_t)Mb * K, rng), B = random_buf((size_t)K * Nb, rng);
                    Buf C0 = random_buf((size_t)Mb * Nb, rng);
                    Buf big = C0;
                    L.fast(big.data(), A.data(), B.data(), Mb, K, Nb, accumulate);
                    // the small operands: A's first m rows (of A stored (M,K), or columns of Aᵀ stored (K,M)),
                    // B's first n columns (of B stored (K,N), or rows of Bᵀ stored (N,K))
                    const bool a_rows = L.fast != matmul_tn, b_rows = L.fast == matmul_nt;
                    Buf a = a_rows ? corner(A, K, m, K) : corner(A, Mb, K, m);
                    Buf b = b_rows ? corner(B, K, n, K) : corner(B, Nb, K, n);
                    Buf small = corner(C0, Nb, m, n);
                    L.fast(small.data(), a.data(), b.data(), m, K, n, accumulate);
                    CHECK(same_bits(small, corner(big, Nb, m, n)));
                }
    CHECK(checked == 240);  // 4 K × 10 shapes × 3 layouts × 2
}

TEST_CASE("matmul_packed: B packed once (on 1, 2 or 3 threads) gives the bits of matmul_nt / matmul_nn, on 1, 2 and 3 threads") {
    // Shapes as kShapes (tiny, odd edges, K > KC, N > NC, one row), the GRU step's (64, 256, 768) and
    // chapter 00's first layer (128, 784, 1024). The packed product runs gemm's usual orientation; a wide
    // matmul_nt of few rows runs as its transpose (matmul.cpp: nt_as_transpose): (64, 520, 500),
    // (5, 40, 333), (1, 300, 40), (64, 256, 768), (128, 784, 1024), (100, 300, 701) (its strips of
    // Cᵀ end inside a tile of MR rows and of NR columns), (7, 64, 2000).
    const Shape shapes[] = {{1, 1, 1},    {7, 13, 5},    {129, 257, 63}, {64, 520, 500},    {33, 1, 17},
                            {5, 40, 333}, {1, 300, 40},  {3, 5, 1100},   {64, 256, 768},    {64, 768, 256},
                            {100, 300, 701}, {7, 64, 2000}, {128, 784, 1024}};
    Rng rng(17);
    for (bool nt : {true, false})
        for (Shape s : shapes)
            for (bool accumulate : {false, true}) {
                CAPTURE(nt);
                CAPTURE(s.M);
                CAPTURE(s.K);
                CAPTURE(s.N);
                CAPTURE(accumulate);
                Buf A = random_buf((size_t)s.M * s.K, rng), B = random_buf((size_t)s.K * s.N, rng);
                Buf C0 = random_buf((size_t)s.M * s.N, rng);
                for (int threads : {1, 2, 3}) {
                    set_threads(threads);
                    CAPTURE(threads);
                    PackedB P;  // packed on this many threads too (pack_all splits the slivers)
                    if (nt) pack_nt(P, B.data(), s.K, s.N);
                    else pack_nn(P, B.data(), s.K, s.N);
                    Buf want = C0, got = C0;
                    (nt ? matmul_nt : matmul_nn)(want.data(), A.data(), B.data(), s.M, s.K, s.N, accumulate);
                    matmul_packed(got.data(), A.data(), P, s.M, accumulate);
                    CHECK(same_bits(got, want));
                }
            }
    set_threads(0);
}

TEST_CASE("linear_forward_packed: the bits of linear_forward, with and without bias") {
    const int M = 64, K = 100, N = 70;
    Rng rng(3);
    Buf inp = random_buf((size_t)M * K, rng), W = random_buf((size_t)N * K, rng), b = random_buf(N, rng);
    PackedB P;
    pack_nt(P, W.data(), K, N);
    for (const float* bias : {(const float*)b.data(), (const float*)nullptr}) {
        Buf want((size_t)M * N), got((size_t)M * N, NAN);
        linear_forward(want.data(), inp.data(), W.data(), bias, M, K, N);
        linear_forward_packed(got.data(), inp.data(), P, bias, M);
        CHECK(same_bits(got, want));
    }
}

TEST_CASE("matmul_nt_serial: a product cut along output_strips and along k gives the bits of matmul_nt") {
    // conv2d's weight gradient runs dW += Σ_b dout_b · cols_bᵀ as blocks of its own: each thread a
    // strip of C cut where matmul_nt's threads would cut it, and k cut into pieces (one per image),
    // each added onto C (the first piece overwrites C when not accumulating). Reference: matmul_nt of
    // the whole product. Shapes: through the blocked path, strips of rows (M >= N) and of columns, odd
    // edges, pieces shorter and longer than KC.
    const Shape shapes[] = {{24, 784 * 3, 9}, {48, 196 * 4, 216}, {13, 700, 40}, {7, 1100, 3}, {30, 49 * 5, 70}};
    Rng rng(23);
    for (Shape s : shapes)
        for (int piece : {49, 196, 600})
            for (bool accumulate : {true, false}) {
                CAPTURE(s.M);
                CAPTURE(s.K);
                CAPTURE(s.N);
                CAPTURE(piece);
                CAPTURE(accumulate);
                Buf A = random_buf((size_t)s.M * s.K, rng), B = random_buf((size_t)s.N * s.K, rng);
                Buf C0 = random_buf((size_t)s.M * s.N, rng), want = C0, got = C0;
                matmul_nt(want.data(), A.data(), B.data(), s.M, s.K, s.N, accumulate);
                const OutputStrips st = output_strips(s.M, s.N, (double)s.M * s.N * s.K);
                for (int u = 0; u < st.count; u++) {  // strip u: rows [i0, i1) x columns [j0, j1)
                    const int i0 = st.by_rows ? u * st.width : 0, i1 = st.by_rows ? std::min(s.M, i0 + st.width) : s.M;
                    const int j0 = st.by_rows ? 0 : u * st.width, j1 = st.by_rows ? s.N : std::min(s.N, j0 + st.width);
                    for (int k0 = 0; k0 < s.K; k0 += piece) {
                        const int kn = std::min(piece, s.K - k0);
                        matmul_nt_serial(got.data() + (size_t)i0 * s.N + j0, s.N, A.data() + (size_t)i0 * s.K + k0, s.K,
                                         B.data() + (size_t)j0 * s.K + k0, s.K, i1 - i0, kn, j1 - j0,
                                         accumulate || k0 > 0);
                    }
                }
                CHECK(same_bits(got, want));
            }
}
