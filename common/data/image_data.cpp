#include "common/data/image_data.hpp"

#include <cstdio>
#include <vector>

#include "common/data/data_find.hpp"
#include "common/core/error.hpp"
#include "common/data/idx.hpp"
#include "common/data/synth_images.hpp"

namespace attn {

ImageData load_image_data(const std::string& which, const std::string& data_dir, uint64_t seed) {
    if (which != "auto" && which != "mnist" && which != "fashion-mnist" && which != "synthetic")
        fail("--data", "auto, mnist, fashion-mnist or synthetic, found '" + which + "'");
    if (which == "auto") check_data_dir_flag(data_dir, {"mnist", "fashion-mnist"});
    std::vector<std::string> looked;
    std::string name = which, dir;
    if (which == "auto" || which == "mnist") {
        dir = find_dataset("mnist", data_dir, &looked);
        if (!dir.empty()) name = "mnist";
        else if (which == "mnist") fail_missing_dataset("mnist", looked);
        else {
            std::printf("notice: MNIST not found (%s); using Fashion-MNIST\n", fetch_command("mnist").c_str());
            name = "fashion-mnist";
        }
    }
    if (name == "fashion-mnist") {
        dir = find_dataset("fashion-mnist", data_dir, &looked);
        if (dir.empty() && which == "fashion-mnist") fail_missing_dataset("fashion-mnist", looked);
        if (dir.empty()) {
            std::printf("notice: no MNIST or Fashion-MNIST found (looked in %zu places); using synthetic digits\n",
                        looked.size());
            name = "synthetic";
        }
    }
    ImageData d;
    d.name = name;
    if (name == "synthetic") {
        d.train = synth_digits(20000, seed);
        d.test = synth_digits(4000, seed + 1);
    } else {
        d.train = load_mnist_dir(dir, /*train=*/true, name);
        d.test = load_mnist_dir(dir, /*train=*/false, name);
    }
    return d;
}

}  // namespace attn
