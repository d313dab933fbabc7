#include "common/run/image_splits.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/data/data_find.hpp"
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

std::string data_for_mnist_run(const std::string& which, const std::string& data_dir, const std::string& flag) {
    if (which != "auto") return which;
    check_data_dir_flag(data_dir, {"mnist"});
    std::vector<std::string> looked;
    if (!find_dataset("mnist", data_dir, &looked).empty()) return "mnist";
    std::string places;
    for (const auto& p : looked) places += (places.empty() ? "" : ", ") + p;
    fail(flag, "expected MNIST, the data its results are measured on; --data auto found none (looked for: " +
                   (places.empty() ? std::string("nothing") : places) + ")",
         fetch_command("mnist") + ", then pass --data-dir DIR or export ATTN_DATA=DIR; or choose other data on "
                                  "purpose: --data fashion-mnist or --data synthetic");
}

}  // namespace attn
