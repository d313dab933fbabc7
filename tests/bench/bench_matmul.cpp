// bench_matmul — GFLOP/s of our matmul beside OpenBLAS (when installed), on 1 and 2 threads.
//
//   ./build/bin/bench_matmul
//
// GFLOP/s = 2·M·N·K / (best time of several runs). The Linear layout (matmul_nt: C = A·Bᵀ) is
// measured on square sizes and on the shapes the chapters use; the nn and tn layouts at 512³,
// so a slow layout shows up; and the three products of chapter 02's output layer, the largest
// matmul of a recurrent chapter's step, each in its own layout (issue 16's "≥ 90 % of OpenBLAS at
// its shape"). Numbers are from one run on whatever else the machine is doing.
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/bench/bench_util.hpp"

#ifdef ATTN_HAVE_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
extern "C" char* openblas_get_corename();
#endif

using namespace attn;

namespace {

// Best-of-several seconds for fn(): repeat until ~0.4 s has been spent (at least 3 runs). The best
// run is the one least disturbed by other programs; on a busy machine a 2-thread run needs both
// cores at once, which takes more tries.
double best_seconds(const std::function<void()>& fn) {
    fn();  // warm-up: page in buffers, grow packing scratch, wake the pool
    double best = 1e30, spent = 0;
    for (int run = 0; run < 3 || (spent < 0.4 && run < 1000); run++) {
        auto t0 = std::chrono::steady_clock::now();
        fn();
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = s < best ? s : best;
        spent += s;
    }
    return best;
}

struct Operands {
    Buf A, B, C;
    Operands(int M, int K, int N, Rng& rng) : A((size_t)M * K), B((size_t)K * N), C((size_t)M * N) {
        for (float& x : A) x = rng.uniform(-1, 1);
        for (float& x : B) x = rng.uniform(-1, 1);
    }
};

enum class Layout { nt, nn, tn };  // matmul_nt (the default), matmul_nn, matmul_tn (accumulating, as dW +=)

struct Shape {
    const char* name;
    int M, K, N;
    Layout layout = Layout::nt;
};

// Ours on one shape, in its layout
void ours_product(const Shape& s, Operands& op) {
    if (s.layout == Layout::nn) matmul_nn(op.C.data(), op.A.data(), op.B.data(), s.M, s.K, s.N);
    else if (s.layout == Layout::tn) matmul_tn(op.C.data(), op.A.data(), op.B.data(), s.M, s.K, s.N, true);
    else matmul_nt(op.C.data(), op.A.data(), op.B.data(), s.M, s.K, s.N);
}


double gflops(const Shape& s, double seconds) { return 2.0 * s.M * s.N * s.K / seconds / 1e9; }

}  // namespace

// The 1-minute load average (Linux), so a reader can tell a quiet run from a busy one.
std::string load_average() {
    std::ifstream f("/proc/loadavg");
    std::string one;
    return (f >> one) ? one : "unknown";
}

using PerThreads = std::array<double, 3>;  // GFLOP/s at [1] and [2] threads

// All of ours first, then all of OpenBLAS: an idle OpenBLAS thread keeps spinning on a core for a while
// after each call, which would steal the second core from our next measurement.
static std::vector<PerThreads> measure_ours(const std::vector<Shape>& shapes, std::vector<Operands>& ops) {
    std::vector<PerThreads> ours(shapes.size());
    for (int threads : {1, 2}) {
        set_threads(threads);
        for (size_t i = 0; i < shapes.size(); i++) {
            const Shape& s = shapes[i];
            Operands& op = ops[i];
            ours[i][threads] = gflops(s, best_seconds([&] { ours_product(s, op); }));
        }
    }
    return ours;
}

// The other two layouts, so a slow one is visible (A and B hold 512*512 numbers in every layout).
static std::array<PerThreads, 3> measure_layouts(Operands& op) {  // [nt, nn, tn]
    std::array<PerThreads, 3> layouts = {};
    const Shape sq = {"512^3", 512, 512, 512};
    for (int threads : {1, 2}) {
        set_threads(threads);
        layouts[0][threads] = gflops(sq, best_seconds([&] { matmul_nt(op.C.data(), op.A.data(), op.B.data(), 512, 512, 512); }));
        layouts[1][threads] = gflops(sq, best_seconds([&] { matmul_nn(op.C.data(), op.A.data(), op.B.data(), 512, 512, 512); }));
        layouts[2][threads] = gflops(sq, best_seconds([&] { matmul_tn(op.C.data(), op.A.data(), op.B.data(), 512, 512, 512); }));
    }
    set_threads(1);  // our idle pool must not compete with OpenBLAS either
    return layouts;
}

// OpenBLAS on the same operands (all zeros when it was not found at build time).
static std::vector<PerThreads> measure_openblas(const std::vector<Shape>& shapes, std::vector<Operands>& ops) {
    std::vector<PerThreads> blas(shapes.size());
#ifdef ATTN_HAVE_OPENBLAS
    for (int threads : {1, 2}) {
        openblas_set_num_threads(threads);
        for (size_t i = 0; i < shapes.size(); i++) {
            const Shape& s = shapes[i];
            Operands& o = ops[i];
            blas[i][threads] = gflops(s, best_seconds([&] {
                if (s.layout == Layout::nn)  // C = A · B, A (M,K), B (K,N)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.M, s.N, s.K, 1.0f, o.A.data(), s.K,
                                o.B.data(), s.N, 0.0f, o.C.data(), s.N);
                else if (s.layout == Layout::tn)  // C += Aᵀ · B, A stored (K,M), B (K,N)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.M, s.N, s.K, 1.0f, o.A.data(), s.M,
                                o.B.data(), s.N, 1.0f, o.C.data(), s.N);
                else  // row-major C = A · Bᵀ with B stored (N,K): the same layout as matmul_nt
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.M, s.N, s.K, 1.0f, o.A.data(), s.K,
                                o.B.data(), s.K, 0.0f, o.C.data(), s.N);
            }));
        }
    }
#else
    (void)ops;
#endif
    return blas;
}

static void print_results(const std::vector<Shape>& shapes, const std::vector<PerThreads>& ours,
                          const std::vector<PerThreads>& blas, const std::array<PerThreads, 3>& layouts,
                          const std::string& load_before) {
    std::printf("matmul_nt (C = A·Bᵀ, the Linear layout) unless the shape says nn (C = A·B) or tn (C += Aᵀ·B),\n"
                "GFLOP/s = 2MNK / best time; %d hardware threads,\n"
                "load average %s before and %s after the run (above 0 means other programs shared the cores)\n\n",
                (int)std::thread::hardware_concurrency(), load_before.c_str(), load_average().c_str());
#ifdef ATTN_HAVE_OPENBLAS
    const bool have_blas = true;
    std::printf("OpenBLAS kernels: %s\n", openblas_get_corename());
#else
    const bool have_blas = false;
    std::printf("OpenBLAS was not found at build time: our numbers only.\n");
#endif
    std::printf("%-20s | %7s | %10s%s\n", "shape", "threads", "ours GF/s", have_blas ? " | OpenBLAS GF/s | ratio" : "");
    std::printf("---------------------+---------+-----------%s\n", have_blas ? "-+---------------+------" : "");
    for (size_t i = 0; i < shapes.size(); i++)
        for (int threads : {1, 2}) {
            std::printf("%-20s | %7d | %10.1f", shapes[i].name, threads, ours[i][threads]);
            if (have_blas) std::printf(" | %13.1f | %5.2f", blas[i][threads], ours[i][threads] / blas[i][threads]);
            std::printf("\n");
        }
    std::printf("\nspeed-up 1 -> 2 threads at 512^3: ours %.2fx", ours[3][2] / ours[3][1]);
    if (have_blas) std::printf(", OpenBLAS %.2fx", blas[3][2] / blas[3][1]);
    std::printf("\n\nall three layouts at 512^3, GFLOP/s\n");
    for (int threads : {1, 2})
        std::printf("threads %d: nt %6.1f   nn %6.1f   tn %6.1f\n", threads, layouts[0][threads], layouts[1][threads],
                    layouts[2][threads]);
}

int main(int, char** argv) {
#ifdef ATTN_HAVE_OPENBLAS
    // OpenBLAS reads OPENBLAS_CORETYPE as it loads, before main: set it, then start again
    if (!bench::choose_openblas_core().empty()) execv("/proc/self/exe", argv);
#endif
    std::string load_before = load_average();
    const std::vector<Shape> shapes = {
        {"64^3", 64, 64, 64},       {"128^3", 128, 128, 128},   {"256^3", 256, 256, 256},
        {"512^3", 512, 512, 512},   {"1024^3", 1024, 1024, 1024},
        {"M=4096 K=128 N=384", 4096, 128, 384},  // ch07/08: a batch of tokens through a projection
        {"M=64 K=512 N=512", 64, 512, 512},      // a small batch through a hidden layer
        {"M=64 K=128 N=2000", 64, 128, 2000},    // output layer over a vocabulary
        {"M=64 K=384 N=768", 64, 384, 768},      // ch03: a decoder step's x_t · W_ihᵀ (input feeding)
        {"M=128 K=784 N=1024", 128, 784, 1024},  // ch00: a batch of images through the hidden layer
        // chapter 02's output layer at bench_ch02's batch (340 rows with a target, [s_t ; c_t] of 768,
        // 4,244 words): logits = out · W_outᵀ, dout = dlogits · W_out, dW_out += dlogitsᵀ · out
        {"ch02 logits nt", 340, 768, 4244},
        {"ch02 dout nn", 340, 4244, 768, Layout::nn},
        {"ch02 dW_out tn", 4244, 340, 768, Layout::tn},
    };
    Rng rng(1);
    std::vector<Operands> ops;
    for (const Shape& s : shapes) ops.emplace_back(s.M, s.K, s.N, rng);
    std::vector<PerThreads> ours = measure_ours(shapes, ops);
    std::array<PerThreads, 3> layouts = measure_layouts(ops[3]);
    std::vector<PerThreads> blas = measure_openblas(shapes, ops);
    print_results(shapes, ours, blas, layouts, load_before);
    return 0;
}
