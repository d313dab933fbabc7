// bench_ch09 — chapter 09's training step (a spatial transformer in front of a small CNN), ours beside
// PyTorch's.
//
// One step = stn_forward (localisation net → θ (B,2,3) → affine grid → bilinear sampler → the
// classifier → mean cross-entropy) + zero_grad + stn_backward + Adam at lr 4e-3 with the localisation
// net's step scaled by 0.3 (adam_step_scaled_loc), as chapters/09_spatial_transformer/train.hpp does
// (without its schedule, which only sets lr; the chapter clips nothing), with the chapter's default
// model (affine θ; localisation convs 8, 10 channels, fc 32; classifier convs 16, 48, fc 128; 10
// classes) on a batch of 64 random 28×28 images (the default "seed" setting's distorted MNIST is 28×28;
// the values do not change the work). PyTorch (Debian's python3-torch) runs the same model in
// data_tools/torch_bench/stn.py (F.affine_grid and F.grid_sample, align_corners=False as ours; two Adam
// parameter groups, the localisation net's at 0.3 lr), in alternating rounds, in each configuration that
// can be its fastest (torch_child.hpp); each side's number is its median round. What differs: the
// images and the initial weights (drawn alike, not the same). Neither side computes a gradient for the
// image (it needs none). One line per thread count:
//   bench ch09_stn threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <cmath>
#include <cstdio>
#include <vector>

#include "chapters/09_spatial_transformer/stn_model.hpp"
#include "chapters/09_spatial_transformer/train.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/torch_child.hpp"

using namespace attn;
using namespace ch09;

namespace {

const int kBatch = 64, kSide = 28, kSteps = 10, kRounds = 5;
const float kLr = 4e-3f, kLocLrScale = 0.3f;  // main.cpp's --lr and --loc-lr

struct Ours {
    Rng rng{0};
    STN m;  // its Tensors point into its ParamSet: built in place, never copied
    STNActs acts;
    Adam opt;
    Buf x, loc_old;      // x (B,28,28); loc_old: adam_step_scaled_loc's scratch
    std::vector<int> y;  // (B)
    explicit Ours(const STNConfig& c) : x((size_t)kBatch * kSide * kSide), y(kBatch) {
        stn_init(m, c, rng);
        acts.resize(kBatch, c);
        opt = make_adam(m.params, kLr);
        for (float& v : x) v = rng.uniform();
        for (int& v : y) v = (int)rng.below(c.V);
    }
    void step() {
        stn_forward(m, acts, x.data(), y.data(), kBatch);     // forward
        m.params.zero_grad();                                 // zero grads
        stn_backward(m, acts, x.data(), y.data(), kBatch);    // backward
        adam_step_scaled_loc(m, opt, kLocLrScale, loc_old);   // step (no clipping in this chapter)
    }
};

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bench::choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by stn.py
    STNConfig c;  // the defaults: H_in = H_out = 28, affine, the chapter's layer sizes
    std::printf("chapter 09 spatial transformer training step (affine, %dx%d in and out; localisation %d, %d, fc %d; "
                "classifier %d, %d, fc %d; batch %d; Adam lr %g, localisation x%g): training samples per second, "
                "medians of %d rounds of %d steps\n",
                c.H_in, c.H_out, c.loc_c1, c.loc_c2, c.loc_fc, c.cls_c1, c.cls_c2, c.cls_fc, kBatch, kLr, kLocLrScale,
                kRounds, kSteps);
    for (int threads : {1, 2}) {
        set_threads(threads);
        Ours ours(c);
        bench::compare_with_torch("ch09_stn", threads, kBatch, kSteps, kRounds, [&] { ours.step(); }, "stn.py",
                                  {kBatch, kSide, c.loc_c1, c.loc_c2, c.loc_fc, c.cls_c1, c.cls_c2, c.cls_fc, c.V,
                                   (int)std::lround(100 * kLocLrScale)});
    }
    return 0;
}
