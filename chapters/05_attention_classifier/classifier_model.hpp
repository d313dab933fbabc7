// classifier_model.hpp — chapter 05's model: a bidirectional GRU over the words of a text, pooled
// into one vector (attention, mean or last state: attention_pooling.hpp), then a small MLP.
//
//   x_i  = mean of E[ids of word i]              (B,T,E)   word id + character n-grams (embedding_bag)
//   x_i ← dropout(x_i)
//   h_i  = [h→_i ; h←_i] = BiGRU(x)_i            (B,T,2H)
//   c    = pool(h)                               (B,2H)    α-weighted (attention), mean or last
//   z    = relu(W_1 dropout(c) + b_1)            (B,M)
//   p    = softmax(W_2 z + b_2)                  (B,V)     loss: mean cross-entropy
//
// Shape legend: B batch, T words (padded), E embedding, H hidden per direction, D = 2H, A attention
// size, M MLP hidden, V classes, N = B·T word positions, Vi ids (words + n-gram buckets).
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/05_attention_classifier/attention_pooling.hpp"
#include "common/core/buffer.hpp"
#include "common/core/error.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/nn/activations.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/dropout.hpp"
#include "common/nn/embedding_bag.hpp"
#include "common/nn/rnn_sequence.hpp"

namespace ch05 {
using namespace attn;

struct ClassifierConfig {
    int Vi = 0, V = 4;  // ids, classes
    int E = 96, H = 96, A = 64, M = 64;
    float emb_dropout = 0.3f, dropout = 0.3f;
    Pooling pooling = Pooling::Attention;
};

inline std::string config_str(const ClassifierConfig& c) {
    return std::string(pooling_name(c.pooling)) + " Vi=" + std::to_string(c.Vi) +
           " V=" + std::to_string(c.V) + " E=" + std::to_string(c.E) + " H=" + std::to_string(c.H) +
           " A=" + std::to_string(c.A) + " M=" + std::to_string(c.M);
}

struct Classifier {
    ClassifierConfig cfg;
    Tensor emb;       // (Vi,E)
    BiGRUParams rnn;  // E -> 2H
    Tensor att_U;     // (A,2H)  keys          (attention pooling only)
    Tensor att_u;     // (A)     the query
    Tensor att_v;     // (A)
    Tensor W1, b1;    // (M,2H), (M)
    Tensor W2, b2;    // (V,M), (V)
    ParamSet params;
};

// Embedding N(0, 0.1²) (many rows are averaged); GRU and linear layers PyTorch's U(±1/√fan_in).
inline void classifier_build(Classifier& m, const ClassifierConfig& c, Rng& rng) {
    m.cfg = c;
    const int D = 2 * c.H;
    m.params.add(m.emb, "emb", {c.Vi, c.E});
    bigru_declare(m.params, m.rnn, "rnn", c.E, c.H);
    if (c.pooling == Pooling::Attention) {
        m.params.add(m.att_U, "attn.U", {c.A, D});
        m.params.add(m.att_u, "attn.u", {c.A});
        m.params.add(m.att_v, "attn.v", {c.A});
    }
    m.params.add(m.W1, "fc1.weight", {c.M, D});
    m.params.add(m.b1, "fc1.bias", {c.M});
    m.params.add(m.W2, "fc2.weight", {c.V, c.M});
    m.params.add(m.b2, "fc2.bias", {c.V});
    m.params.allocate();
    for (size_t i = 0; i < m.emb.size; i++) m.emb.data[i] = 0.1f * rng.normal();
    gru_init(m.rnn.fwd, rng, c.H);
    gru_init(m.rnn.bwd, rng, c.H);
    auto uni = [&](Tensor& t, int fan_in) {
        const float a = 1.0f / std::sqrt((float)fan_in);
        for (size_t i = 0; i < t.size; i++) t.data[i] = rng.uniform(-a, a);
    };
    if (c.pooling == Pooling::Attention) uni(m.att_U, D), uni(m.att_u, c.A), uni(m.att_v, c.A);
    uni(m.W1, D), uni(m.b1, D), uni(m.W2, c.M), uni(m.b2, c.M);
}

// One batch of texts: the ids of each word position (embedding_bag's layout) and the lengths.
struct TextBatch {
    int B = 0, T = 0;
    std::vector<int> ids;      // (M) all ids, position after position
    std::vector<int> offsets;  // (B·T+1) position n = b·T + t uses ids[offsets[n] .. offsets[n+1])
    std::vector<int> lengths;  // (B) words of each text, 1..T
    std::vector<int> labels;   // (B)
};

struct ClassifierActs {
    int B_max = 0, T_max = 0;
    bool training = false;
    Buf x0, x;                   // (B,T,E) embeddings, after dropout
    std::vector<uint8_t> xmask;  // (B,T,E)
    BiGRUCache rnn_c;
    Buf h;                           // (B,T,2H)
    Buf keys, q, th, alpha, scores;  // (B,T,A), (B,A), (B,T,A), (B,T), (B,T)
    Buf ctx, ctx_d;                  // (B,2H) pooled, after dropout
    std::vector<uint8_t> cmask;      // (B,2H)
    Buf z0, z;                       // (B,M) before / after relu
    Buf logits, probs;               // (B,V)
    Buf dlogits, dz, dz0, dctx_d, dctx, dh, dx, dx0, scratch;
};

inline void classifier_reserve(ClassifierActs& a, const ClassifierConfig& c, int B, int T) {
    a.B_max = B, a.T_max = T;
    const size_t BT = (size_t)B * T, D = 2 * (size_t)c.H;
    a.x0.assign(BT * c.E, 0), a.x.assign(BT * c.E, 0), a.xmask.assign(BT * c.E, 1);
    bigru_cache_init(a.rnn_c, B, T, c.E, c.H);
    a.h.assign(BT * D, 0);
    a.keys.assign(BT * c.A, 0), a.q.assign((size_t)B * c.A, 0), a.th.assign(BT * c.A, 0);
    a.alpha.assign(BT, 0), a.scores.assign(BT, 0);
    a.ctx.assign(B * D, 0), a.ctx_d.assign(B * D, 0), a.cmask.assign(B * D, 1);
    a.z0.assign((size_t)B * c.M, 0), a.z.assign((size_t)B * c.M, 0);
    a.logits.assign((size_t)B * c.V, 0), a.probs.assign((size_t)B * c.V, 0);
    a.dlogits.assign((size_t)B * c.V, 0), a.dz.assign((size_t)B * c.M, 0), a.dz0.assign((size_t)B * c.M, 0);
    a.dctx_d.assign(B * D, 0), a.dctx.assign(B * D, 0), a.dh.assign(BT * D, 0);
    a.dx.assign(BT * c.E, 0), a.dx0.assign(BT * c.E, 0);
    a.scratch.assign(attention_pool_scratch_size(B, T, c.A), 0);
}

// Runs the model on batch tb; training turns dropout on (masks from rng). Returns the mean
// cross-entropy; a.probs (B,V) holds the class probabilities and, for attention pooling, a.alpha
// (B,T) the weights of every word.
inline float classifier_forward(Classifier& m, ClassifierActs& a, const TextBatch& tb, Rng& rng,
                                bool training) {
    const ClassifierConfig& c = m.cfg;
    const int B = tb.B, T = tb.T, D = 2 * c.H, N = B * T;
    if (B > a.B_max || T > a.T_max)
        fail("classifier_forward",
             "a batch within the reserved (" + std::to_string(a.B_max) + "," + std::to_string(a.T_max) +
                 "), found (" + std::to_string(B) + "," + std::to_string(T) + ")",
             "call classifier_reserve with the largest batch and text first");
    a.training = training;
    // x_i = mean of E[ids of word i];  x ← dropout(x)
    embedding_bag_forward(a.x0.data(), tb.ids.data(), tb.offsets.data(), m.emb.data, N, c.E, c.Vi);
    dropout_forward(a.x.data(), a.xmask.data(), a.x0.data(), N * c.E, c.emb_dropout, rng, training);
    // h = BiGRU(x), 0 on padding
    bigru_forward(a.h.data(), nullptr, a.rnn_c, a.x.data(), nullptr, tb.lengths.data(), m.rnn, B, T, c.E,
                  c.H);
    // c = pool(h)
    switch (c.pooling) {
        case Pooling::Attention:
            attention_pool_forward(a.ctx.data(), a.alpha.data(), a.scores.data(), a.keys.data(), a.q.data(),
                                   a.th.data(), a.h.data(), m.att_U.data, m.att_u.data, m.att_v.data,
                                   tb.lengths.data(), B, T, D, c.A);
            break;
        case Pooling::Mean:
            mean_pool_forward(a.ctx.data(), a.h.data(), tb.lengths.data(), B, T, D);
            break;
        case Pooling::Last:
            last_pool_forward(a.ctx.data(), a.h.data(), tb.lengths.data(), B, T, D);
            break;
    }
    // z = relu(W_1 dropout(c) + b_1);  logits = W_2 z + b_2
    dropout_forward(a.ctx_d.data(), a.cmask.data(), a.ctx.data(), B * D, c.dropout, rng, training);
    linear_forward(a.z0.data(), a.ctx_d.data(), m.W1.data, m.b1.data, B, D, c.M);
    relu_forward(a.z.data(), a.z0.data(), B * c.M);
    linear_forward(a.logits.data(), a.z.data(), m.W2.data, m.b2.data, B, c.M, c.V);
    return cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), tb.labels.data(), nullptr, B, c.V,
                                 -1, 0.0f);
}

// The same arrows in reverse; adds into m.params.grad (zero it first).
inline void classifier_backward(Classifier& m, ClassifierActs& a, const TextBatch& tb) {
    const ClassifierConfig& c = m.cfg;
    const int B = tb.B, T = tb.T, D = 2 * c.H, N = B * T;
    const float p_emb = a.training ? c.emb_dropout : 0.0f, p_ctx = a.training ? c.dropout : 0.0f;
    for (Buf* g : {&a.dlogits, &a.dz, &a.dz0, &a.dctx_d, &a.dctx, &a.dh, &a.dx, &a.dx0})
        std::fill(g->begin(), g->end(), 0.0f);
    // loss = mean CE  ->  dlogits = (p − onehot(y)) / B
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), tb.labels.data(), nullptr, B, c.V, -1, 0.0f,
                           1.0f);
    // logits = W_2 z + b_2;  z = relu(z0);  z0 = W_1 c_d + b_1;  c_d = dropout(c)
    linear_backward(a.dz.data(), m.W2.grad, m.b2.grad, a.dlogits.data(), a.z.data(), m.W2.data, B, c.M, c.V);
    relu_backward(a.dz0.data(), a.dz.data(), a.z0.data(), B * c.M);
    linear_backward(a.dctx_d.data(), m.W1.grad, m.b1.grad, a.dz0.data(), a.ctx_d.data(), m.W1.data, B, D,
                    c.M);
    dropout_backward(a.dctx.data(), a.dctx_d.data(), a.cmask.data(), B * D, p_ctx);
    // c = pool(h)
    switch (c.pooling) {
        case Pooling::Attention:
            attention_pool_backward(a.dh.data(), m.att_U.grad, m.att_u.grad, m.att_v.grad, a.dctx.data(),
                                    a.alpha.data(), a.th.data(), a.h.data(), m.att_U.data, m.att_v.data,
                                    tb.lengths.data(), B, T, D, c.A, a.scratch.data());
            break;
        case Pooling::Mean:
            mean_pool_backward(a.dh.data(), a.dctx.data(), tb.lengths.data(), B, T, D);
            break;
        case Pooling::Last:
            last_pool_backward(a.dh.data(), a.dctx.data(), tb.lengths.data(), B, T, D);
            break;
    }
    // h = BiGRU(x);  x = dropout(x0);  x0 = embedding_bag(ids)
    bigru_backward(a.dx.data(), nullptr, m.rnn, a.dh.data(), nullptr, a.rnn_c, a.x.data(), tb.lengths.data(),
                   B, T, c.E, c.H);
    dropout_backward(a.dx0.data(), a.dx.data(), a.xmask.data(), N * c.E, p_emb);
    embedding_bag_backward(m.emb.grad, a.dx0.data(), tb.ids.data(), tb.offsets.data(), N, c.E);
}

}  // namespace ch05
