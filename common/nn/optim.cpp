#include "common/nn/optim.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

// Elementwise loops are split into ranges of at least this many floats per thread: below that the
// hand-off to the pool costs more than the loop.
static const int kMinChunk = 16384;
// (The loops below are lambdas passed as temporaries or with std::move: parallel_for takes F&& and,
// as thread_pool.hpp stands, cannot be given an lvalue lambda.)

static void check_state(const Buf& state, const ParamSet& ps, const char* where, const char* what) {
    if (state.size() != ps.value.size() || ps.grad.size() != ps.value.size())
        fail(where,
             "expected " + std::string(what) + " sized to the parameter buffer (" +
                 std::to_string(ps.value.size()) + " floats), found " + std::to_string(state.size()),
             "call init(params) (or make_sgd / make_adam) after params.allocate() and before step()");
}

// ---- SGD -------------------------------------------------------------------------------------

void SGD::init(const ParamSet& ps) { velocity.assign(ps.value.size(), 0.0f); }

SGD make_sgd(const ParamSet& ps, float lr, float momentum, float weight_decay) {
    SGD opt;
    opt.lr = lr, opt.momentum = momentum, opt.weight_decay = weight_decay;
    opt.init(ps);
    return opt;
}

void SGD::step(ParamSet& ps) {
    if (momentum != 0.0f) check_state(velocity, ps, "SGD::step", "momentum buffer");
    float* p = ps.value.data();
    const float* grad = ps.grad.data();
    float* vel = velocity.data();
    const float lr_ = lr, mu = momentum, wd = weight_decay;
    auto update = [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            float g = grad[i] + wd * p[i];  // gradient of loss + wd/2 * p^2
            if (mu != 0.0f) {
                vel[i] = mu * vel[i] + g;  // velocity = momentum * velocity + g
                g = vel[i];
            }
            p[i] -= lr_ * g;
        }
    };
    parallel_for((int)ps.value.size(), std::move(update), kMinChunk);
}

// ---- Adam / AdamW ----------------------------------------------------------------------------

void Adam::init(const ParamSet& ps) {
    m.assign(ps.value.size(), 0.0f);
    v.assign(ps.value.size(), 0.0f);
    t = 0;
}

Adam make_adam(const ParamSet& ps, float lr) {
    Adam opt;
    opt.lr = lr;
    opt.init(ps);
    return opt;
}

Adam make_adamw(const ParamSet& ps, float lr, float weight_decay) {
    Adam opt;
    opt.lr = lr, opt.weight_decay = weight_decay, opt.decoupled = true;
    opt.init(ps);
    return opt;
}

// One range of the update. Every scalar is a by-value parameter: nothing the loop stores can change
// them, so the compiler keeps them in registers and turns the loop into vector instructions (inside a
// lambda that captured them by reference it reloaded each after every store, one float at a time).
// Each element's arithmetic is the same either way, so are the results.
struct AdamScalars {
    float l2, decay, b1, b2, one_b1, one_b2, neg_step, bc2_sqrt, eps;
    bool dec;
};
static void adam_update(float* p, const float* grad, float* m, float* v, int i0, int i1, AdamScalars s) {
    for (int i = i0; i < i1; i++) {
        float g = grad[i] + s.l2 * p[i];
        if (s.dec) p[i] *= s.decay;
        m[i] = s.b1 * m[i] + s.one_b1 * g;      // m = beta1 m + (1-beta1) g
        v[i] = s.b2 * v[i] + s.one_b2 * g * g;  // v = beta2 v + (1-beta2) g^2
        // p -= lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)
        float denom = std::sqrt(v[i]) / s.bc2_sqrt + s.eps;
        p[i] += s.neg_step * m[i] / denom;
    }
}

void Adam::step(ParamSet& ps) {
    check_state(m, ps, "Adam::step", "first-moment buffer m");
    check_state(v, ps, "Adam::step", "second-moment buffer v");
    t++;
    // Scalars in double, as PyTorch computes them in Python, then used in float in the loop.
    const double bc1 = 1.0 - std::pow((double)beta1, (double)t);  // 1 - beta1^t
    const double bc2 = 1.0 - std::pow((double)beta2, (double)t);  // 1 - beta2^t
    AdamScalars s;
    s.neg_step = (float)(-(double)lr / bc1);            // -lr / (1 - beta1^t)
    s.bc2_sqrt = (float)std::sqrt(bc2);
    s.decay = (float)(1.0 - (double)lr * weight_decay);  // AdamW: p *= 1 - lr*wd
    s.l2 = decoupled ? 0.0f : weight_decay;              // Adam: g += wd*p
    s.b1 = beta1, s.b2 = beta2, s.one_b1 = 1.0f - beta1, s.one_b2 = 1.0f - beta2, s.eps = eps;
    s.dec = decoupled && weight_decay != 0.0f;
    float* p = ps.value.data();
    const float* grad = ps.grad.data();
    float* m_ = m.data();
    float* v_ = v.data();
    parallel_for((int)ps.value.size(), [=](int i0, int i1) { adam_update(p, grad, m_, v_, i0, i1, s); },
                 kMinChunk);
}

// ---- gradient clipping -----------------------------------------------------------------------

float clip_grad_norm(ParamSet& ps, float max_norm) {
    // Pass 1: sum of squares. Fixed blocks (independent of the thread count), each summed in double
    // by one thread, then the block sums added in order: the same bits on 1 or 16 threads.
    const int n = (int)ps.grad.size(), block = 4096;
    const int nblocks = (n + block - 1) / block;
    std::vector<double> partial(nblocks, 0.0);
    const float* g = ps.grad.data();
    auto sum_blocks = [&](int b0, int b1) {
        int b = b0;
        // kTogether whole blocks side by side: independent chains of additions (each in the order it
        // has alone, so the same sums) keep the adder busy instead of waiting on one chain. (5 million
        // gradients, one thread: 4 blocks 1.46 ms, 8 blocks 0.91, 16 blocks 2.38 — more chains than
        // registers.)
        constexpr int kTogether = 8;
        for (; b + kTogether <= b1 && (b + kTogether) * block <= n; b += kTogether) {
            double sk[kTogether] = {};
            for (int i = 0; i < block; i++)
                for (int k = 0; k < kTogether; k++) {
                    const double x = g[(size_t)(b + k) * block + i];
                    sk[k] += x * x;
                }
            for (int k = 0; k < kTogether; k++) partial[b + k] = sk[k];
        }
        for (; b < b1; b++) {
            double sum = 0;
            int end = std::min(n, (b + 1) * block);
            for (int i = b * block; i < end; i++) sum += (double)g[i] * g[i];
            partial[b] = sum;
        }
    };
    parallel_for(nblocks, std::move(sum_blocks), 4);
    double sumsq = 0;
    for (double s : partial) sumsq += s;
    const double norm = std::sqrt(sumsq);
    if (!std::isfinite(norm)) return (float)norm;

    // Pass 2: scale every gradient by coef = max_norm / (norm + 1e-6) when that is below 1.
    const double coef = (double)max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        const float c = (float)coef;
        float* gw = ps.grad.data();
        auto scale = [&](int i0, int i1) {
            float* x = gw;
            const float k = c;  // (a local: no store through x can change it, so the loop vectorises)
            for (int i = i0; i < i1; i++) x[i] *= k;
        };
        parallel_for(n, std::move(scale), kMinChunk);
    }
    return (float)norm;
}

}  // namespace attn
