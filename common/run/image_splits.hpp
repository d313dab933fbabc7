// image_splits.hpp — the data of an image classifier's run: MNIST when found (--data-dir /
// ATTN_DATA), else Fashion-MNIST (Debian's package), else the procedural digits
// (common/data/image_data.hpp), cut into train / validation / test and announced in one line:
//
//   data: mnist from /data/mnist/train-images-idx3-ubyte.gz (train 55,000 / val 5,000 / test 10,000)
//
// The validation images are held out of the training images, chosen by the seed; the test set is
// the dataset's own. Chapters that distort or place the images (09, 10) do so on these.
#pragma once
#include <cstdint>
#include <string>

#include "common/data/data_types.hpp"

namespace attn {

struct ImageSplits {
    std::string name;  // "mnist", "fashion-mnist" or "synthetic": the data a figure name carries
    ImageSet train, val, test;
};

// val_count training images held out for validation; max_train, max_test > 0 keep at most that many
// training images (the first of the split) and test images (the first of the test set).
ImageSplits load_image_splits(const std::string& which, const std::string& data_dir, int val_count, uint64_t seed,
                              int max_train = 0, int max_test = 0);

}  // namespace attn
