#include "common/core/params.hpp"

#include <algorithm>

#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

std::string shape_str(const Shape& s) {
    std::string out = "(";
    for (size_t i = 0; i < s.size(); i++) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + ")";
}

void ParamSet::add(Tensor& t, const std::string& name, const Shape& shape) {
    if (allocated_) fail("ParamSet::add", "all parameters declared before allocate(), but '" + name + "' came after");
    if (find(name)) fail("ParamSet::add", "unique parameter names, but '" + name + "' is declared twice");
    for (int d : shape)
        if (d <= 0) fail("ParamSet::add", "positive dimensions for '" + name + "', got " + shape_str(shape));
    // Keep every tensor 16-float (64-byte) aligned inside the buffer, so kernels see aligned rows.
    size_t n = shape_size(shape);
    entries_.push_back({name, shape, total_, n});
    views_.push_back(&t);
    t.shape = shape;
    t.size = n;
    total_ += (n + 15) / 16 * 16;
}

void ParamSet::allocate() {
    if (allocated_) fail("ParamSet::allocate", "to be called once");
    value.assign(total_, 0.0f);
    grad.assign(total_, 0.0f);
    for (size_t i = 0; i < entries_.size(); i++) {
        views_[i]->data = value.data() + entries_[i].offset;
        views_[i]->grad = grad.data() + entries_[i].offset;
    }
    allocated_ = true;
}

// Millions of floats of pure memory traffic: across the threads (on one, the others would wait).
void ParamSet::zero_grad() { parallel_zero(grad.data(), grad.size()); }

const ParamSet::Entry* ParamSet::find(const std::string& name) const {
    for (const auto& e : entries_)
        if (e.name == name) return &e;
    return nullptr;
}

}  // namespace attn
