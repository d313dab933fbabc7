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

// The --data of a run that reproduces a result measured on MNIST (chapters 09 and 10 with --full):
// "auto" becomes "mnist" when MNIST is found, and without it the run stops here, before any training,
// with an error saying how to get MNIST or how to choose other data on purpose. Any other choice is
// returned as it is. Without this, a long run on a machine lacking MNIST trains quietly on
// Fashion-MNIST (one notice line among many): a 55-minute chapter 10 run once did, and its 71 %
// was taken for a failure of the model.
std::string data_for_mnist_run(const std::string& which, const std::string& data_dir, const std::string& flag);

}  // namespace attn
