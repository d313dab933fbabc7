// params.hpp — a model's parameters and gradients, each in one contiguous buffer, with names.
//
//   struct Model { Tensor W1, b1; ParamSet params; };
//   m.params.add(m.W1, "fc1.weight", {H, D});    // phase 1: declare every parameter
//   m.params.add(m.b1, "fc1.bias", {H});
//   m.params.allocate();                        // phase 2: one buffer; W1.data / W1.grad now point into it
//
// Optimisers, checkpoints, gradient checks and the model summary all walk the same list
// (params.entries()) or the same flat buffers (params.value, params.grad), so none of them
// needs to know the model. A Tensor is only a view: it owns nothing.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "common/core/buffer.hpp"

namespace attn {

using Shape = std::vector<int>;

inline size_t shape_size(const Shape& s) {
    size_t n = 1;
    for (int d : s) n *= (size_t)d;
    return n;
}
std::string shape_str(const Shape& s);  // "(128, 784)"

struct Tensor {
    float* data = nullptr;  // value, row-major in shape
    float* grad = nullptr;  // gradient, same shape; backward adds into it, the caller zeroes it
    Shape shape;
    size_t size = 0;
};

class ParamSet {
   public:
    struct Entry {
        std::string name;
        Shape shape;
        size_t offset = 0, size = 0;  // into value / grad
    };

    // Declare a parameter. `t` gets its pointers in allocate(), so it must not move before then.
    void add(Tensor& t, const std::string& name, const Shape& shape);
    void allocate();  // values and gradients zeroed; initialise values afterwards (init.hpp)
    void zero_grad();

    size_t count() const { return total_; }
    const std::vector<Entry>& entries() const { return entries_; }
    const Entry* find(const std::string& name) const;  // nullptr when absent
    float* data(const Entry& e) { return value.data() + e.offset; }
    float* grad_of(const Entry& e) { return grad.data() + e.offset; }

    Buf value;  // all parameter values, in declaration order
    Buf grad;   // all gradients, same layout

   private:
    std::vector<Entry> entries_;
    std::vector<Tensor*> views_;
    size_t total_ = 0;
    bool allocated_ = false;
};

}  // namespace attn
