// packed_rows.hpp — the rows of a padded batch that have a target, gathered into one dense block.
//
// A batch of B sentences padded to T tokens has B·T decoder rows, and a padding row (target <pad>)
// counts nowhere in the loss. The output layer is the largest product of a translation step,
// (B·T × K) · (K × V), and about a fifth of its rows are padding at the default lengths; it need not
// compute them:
//
//   x (B·T, K) ─ pack_rows ─▶ p.x (R, K) ─ linear ─▶ logits (R, V) ─ cross-entropy(p.targets) ─▶ L
//   dx (B·T, K) ◀─ unpack_rows_add ─ p.dx (R, K) ◀─ linear backward ◀─ dlogits (R, V) ◀──────────┘
//
// The numbers are those of the full product: each kept row is computed as before; the loss skipped
// the padding rows anyway; their gradients were zero, so they added nothing to dW, db or dx.
// packed_output_forward / _backward are that picture, the output layer of every translation chapter.
//
// Shapes: rows = B·T, K the row width, R the rows that count (R ≤ rows), in their original order.
#pragma once
#include <vector>

#include "common/core/buffer.hpp"

namespace attn {

struct PackedRows {
    int R = 0;
    std::vector<int> rows;     // (R) where each kept row came from
    std::vector<int> targets;  // (R) its target
    Buf x, dx;                 // (R, K) the kept rows; their gradient (the backward zeroes it, then adds)
};

// x (rows, K), targets (rows): keeps the rows whose target is not ignore_index
void pack_rows(PackedRows& p, const float* x, const int* targets, int rows, int K, int ignore_index);
// dx (rows, K) += p.dx, each kept row back in its place (padding rows: nothing)
void unpack_rows_add(float* dx, const PackedRows& p, int K);

// The output layer and its loss over the rows of x whose target is not ignore_index (packed into p):
//   logits (R,V) = p.x Wᵀ + b,   L = mean cross-entropy(logits, p.targets), label smoothing ε
// W (V,K), b (V); logits and probs (R,V) are kept for the backward. Returns L.
float packed_output_forward(PackedRows& p, float* logits, float* probs, const float* x, const int* targets,
                            const float* W, const float* b, int rows, int K, int V, int ignore_index, float smoothing);
// After packed_output_forward: dx (rows,K) += ∂L/∂x (padding rows: nothing), dW (V,K) += ∂L/∂W,
// db (V) += ∂L/∂b. dlogits (R,V) is scratch; the same ε as the forward.
void packed_output_backward(float* dx, float* dW, float* db, PackedRows& p, float* dlogits, const float* probs,
                            const float* W, int K, int V, float smoothing);

}  // namespace attn
