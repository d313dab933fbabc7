// activations.hpp — elementwise nonlinearities, each forward with its backward directly below.
//
// All buffers hold n floats (any shape, flattened). Backward ACCUMULATES (+=) into dinp.
//   relu:    out = max(0, x)
//   gelu:    out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))   — the TANH APPROXIMATION used by
//            GPT-2 and by PyTorch's F.gelu(x, approximate='tanh'), not the exact erf form
//   tanh:    out = tanh(x)          backward uses the forward OUTPUT: d/dx = 1 − out²
//   sigmoid: out = 1 / (1 + e^−x)   backward uses the forward OUTPUT: d/dx = out·(1 − out)
#pragma once

namespace attn {

void relu_forward(float* out, const float* inp, int n);
// accumulate = false: dinp = the gradient instead of += (dinp need not be cleared first; the same
// bits as adding into zeros, which saves a pass over memory for a large buffer)
void relu_backward(float* dinp, const float* dout, const float* inp, int n, bool accumulate = true);

void gelu_forward(float* out, const float* inp, int n);
void gelu_backward(float* dinp, const float* dout, const float* inp, int n);

void tanh_forward(float* out, const float* inp, int n);
void tanh_backward(float* dinp, const float* dout, const float* out, int n);

void sigmoid_forward(float* out, const float* inp, int n);
void sigmoid_backward(float* dinp, const float* dout, const float* out, int n);

}  // namespace attn
