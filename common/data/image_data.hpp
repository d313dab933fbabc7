// image_data.hpp — the digit-sized image data every vision chapter starts from, with the fallbacks.
//
//   which = "mnist":          MNIST (--data-dir / ATTN_DATA), or an error listing where we looked
//   which = "fashion-mnist":  Fashion-MNIST (data root, then Debian's /usr/share/datasets/), or an error
//   which = "synthetic":      the procedural digits (synth_digits), 20,000 train / 4,000 test
//   which = "auto":           the first of those that exists, saying in one line when it falls back
#pragma once
#include <cstdint>
#include <string>

#include "common/data/data_types.hpp"

namespace attn {

struct ImageData {
    std::string name;  // "mnist", "fashion-mnist" or "synthetic"
    ImageSet train, test;
};

ImageData load_image_data(const std::string& which, const std::string& data_dir, uint64_t seed);

}  // namespace attn
