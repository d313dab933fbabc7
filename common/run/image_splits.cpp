#include "common/run/image_splits.hpp"

#include <cstdio>

#include "common/data/image_data.hpp"
#include "common/data/splits.hpp"
#include "common/run/classifier.hpp"
#include "common/run/summary.hpp"

namespace attn {

ImageSplits load_image_splits(const std::string& which, const std::string& data_dir, int val_count, uint64_t seed,
                              int max_train, int max_test) {
    ImageData all = load_image_data(which, data_dir, seed);
    ImageSplits d;
    d.name = all.name;
    SplitIdx s = split_indices(all.train.count, (float)val_count / all.train.count, 0.0f, seed);
    if (max_train > 0 && (int)s.train.size() > max_train) s.train.resize(max_train);
    d.train = take_images(all.train, s.train);
    d.val = take_images(all.train, s.val);
    d.test = std::move(all.test);
    if (max_test > 0 && max_test < d.test.count) d.test = take_images(d.test, in_order(max_test));
    std::printf("data: %s from %s (train %s / val %s / test %s)\n", d.name.c_str(), all.train.source.c_str(),
                with_commas(d.train.count).c_str(), with_commas(d.val.count).c_str(),
                with_commas(d.test.count).c_str());
    return d;
}

}  // namespace attn
