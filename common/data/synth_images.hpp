// synth_images.hpp — image tasks built from any 28×28 set: canvases, distortions, and a
// procedural digit set for when no image data exists at all.
//
// Canvases (chapter 10, recurrent attention; Mnih et al. 2014, "Recurrent Models of Visual Attention"):
//   make_translated  the 28×28 image pasted at a uniformly random place fully inside a
//                    canvas×canvas black image ("translated MNIST", 60×60 in the paper).
//   make_cluttered   the same, plus n_pieces random piece×piece crops of OTHER random images of the
//                    set pasted at random places, combined by max ("cluttered translated MNIST":
//                    60×60 with 4 pieces, 100×100 with 8, pieces 8×8). A crop may be blank.
//
// Distortions (chapter 09; Jaderberg et al. 2015, "Spatial Transformer Networks"):
//   make_distorted   each image goes through its own random affine map
//                      p_out = c_out + A (p_in − c_in) + t,   A = R(θ) · s · [[1, h], [0, 1]]
//                    (rotation θ ~ U[−rot_deg, rot_deg], scale s ~ U[scale_min, scale_max],
//                    shear h ~ U[−shear, shear], shift t ~ U[−translate, translate]·out_size per axis,
//                    as torchvision's RandomAffine; c_* are the image centres). Each output pixel is the
//                    bilinear sample of the input at A⁻¹(p_out − c_out − t) + c_in, zero outside the input.
//                    With all ranges zero, scale 1 and out_size == 28 the output equals the input exactly.
//   Presets:
//     distort_rotation()      "R" of the STN paper: θ ∈ ±90°, 28×28.
//     distort_rts()           "RTS" of the STN paper: θ ∈ ±45°, s ∈ [0.7, 1.2], placed at random in
//                             42×42 (centre shifted by up to ±7 px, so an unscaled digit stays inside).
//     distort_seed_example()  a harder mix on 28×28: θ ∈ ±60°, s ∈ [0.4, 1.0], shift ±0.3·28 px
//                             (digits may be clipped at the border: the network must find and zoom).
//   A TEST set is distorted ONCE, from a fixed seed, when it is loaded — never again per evaluation,
//   or every evaluation would see different images and numbers would not be comparable.
//
// Procedural digits: synth_digits draws 28×28 digits 0–9 from polyline skeletons (ellipses for
// 0, 8 and the loops of 6 and 9) with random stroke width, point jitter, a small random affine
// map (rotation ±12°, scale 0.85–1.1, shear ±0.25, shift ±2 px) and a 3×3 blur, in a 14×20 box
// centred like MNIST. Only a fallback so image chapters run with no data at all: much easier
// than MNIST.
//
// All outputs: pixels in [0, 1], labels and class_names copied from the input, deterministic by seed.
#pragma once
#include <cstdint>

#include "common/data/data_types.hpp"

namespace attn {

// name "translated-<canvas>"
ImageSet make_translated(const ImageSet& src, int canvas, uint64_t seed);
// name "cluttered-<canvas>"
ImageSet make_cluttered(const ImageSet& src, int canvas, int n_pieces, int piece, uint64_t seed);

struct DistortOptions {
    float rot_deg = 0;                     // rotation drawn from [−rot_deg, rot_deg] degrees
    float scale_min = 1, scale_max = 1;    // isotropic scale drawn from [scale_min, scale_max]
    float translate = 0;                   // shift drawn from [−translate, translate] · out_size, per axis
    float shear = 0;                       // x += h·y with h drawn from [−shear, shear]
    int out_size = 28;                     // output is out_size × out_size
};
DistortOptions distort_seed_example();  // ±60°, scale 0.4–1.0, translate 0.3, 28×28
DistortOptions distort_rts();           // ±45°, scale 0.7–1.2, translate 7/42, 42×42
DistortOptions distort_rotation();      // ±90°, 28×28

// name "<src.name>-distorted-<out_size>"
ImageSet make_distorted(const ImageSet& src, const DistortOptions& opt, uint64_t seed);

// n procedural 28×28 digits, labels uniform in 0..9; name "synthetic-digits"
ImageSet synth_digits(int n, uint64_t seed);

}  // namespace attn
