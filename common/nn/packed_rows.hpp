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

}  // namespace attn
