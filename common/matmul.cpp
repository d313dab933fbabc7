// matmul.cpp — PLACEHOLDER kernels (naive loops) until the tiled kernels land.
#include "common/matmul.hpp"

#include <cstring>

namespace attn {

void matmul_nt_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = accumulate ? C[(size_t)i * N + j] : 0.0f;
            for (int k = 0; k < K; k++) acc += A[(size_t)i * K + k] * B[(size_t)j * K + k];
            C[(size_t)i * N + j] = acc;
        }
}
void matmul_nn_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = accumulate ? C[(size_t)i * N + j] : 0.0f;
            for (int k = 0; k < K; k++) acc += A[(size_t)i * K + k] * B[(size_t)k * N + j];
            C[(size_t)i * N + j] = acc;
        }
}
void matmul_tn_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = accumulate ? C[(size_t)i * N + j] : 0.0f;
            for (int k = 0; k < K; k++) acc += A[(size_t)k * M + i] * B[(size_t)k * N + j];
            C[(size_t)i * N + j] = acc;
        }
}
void matmul_nt(float* C, const float* A, const float* B, int M, int K, int N, bool acc) { matmul_nt_naive(C, A, B, M, K, N, acc); }
void matmul_nn(float* C, const float* A, const float* B, int M, int K, int N, bool acc) { matmul_nn_naive(C, A, B, M, K, N, acc); }
void matmul_tn(float* C, const float* A, const float* B, int M, int K, int N, bool acc) { matmul_tn_naive(C, A, B, M, K, N, acc); }

void linear_forward(float* out, const float* inp, const float* W, const float* b, int M, int K, int N) {
    matmul_nt(out, inp, W, M, K, N);
    if (b)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) out[(size_t)i * N + j] += b[j];
}
void linear_backward(float* dinp, float* dW, float* db, const float* dout, const float* inp, const float* W,
                     int M, int K, int N) {
    if (dinp) matmul_nn(dinp, dout, W, M, N, K, true);
    if (dW) matmul_tn(dW, dout, inp, N, M, K, true);
    if (db)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) db[j] += dout[(size_t)i * N + j];
}

}  // namespace attn
