#include "common/data/splits.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/core/error.hpp"
#include "common/core/rng.hpp"

namespace attn {

static void check_fracs(float val_frac, float test_frac) {
    if (!(val_frac >= 0 && test_frac >= 0 && val_frac + test_frac < 1))
        fail("split", "expected fractions val >= 0, test >= 0, val + test < 1, found val=" + std::to_string(val_frac) +
                          " test=" + std::to_string(test_frac));
}

SplitIdx split_indices(int n, float val_frac, float test_frac, uint64_t seed) {
    check_fracs(val_frac, test_frac);
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    Rng rng(seed);
    rng.shuffle(perm.begin(), perm.end());
    int n_test = (int)std::lround((double)n * test_frac);
    int n_val = (int)std::lround((double)n * val_frac);
    if (n_test + n_val > n) n_val = n - n_test;
    SplitIdx s;
    s.test.assign(perm.begin(), perm.begin() + n_test);
    s.val.assign(perm.begin() + n_test, perm.begin() + n_test + n_val);
    s.train.assign(perm.begin() + n_test + n_val, perm.end());
    std::sort(s.train.begin(), s.train.end());
    std::sort(s.val.begin(), s.val.end());
    std::sort(s.test.begin(), s.test.end());
    return s;
}

SplitIdx split_pairs_by_source(const PairSet& ps, float val_frac, float test_frac, uint64_t seed) {
    check_fracs(val_frac, test_frac);
    // groups in order of first appearance, so the result does not depend on hashing
    std::unordered_map<std::string_view, int> group_of;
    std::vector<std::vector<int>> groups;
    for (int i = 0; i < (int)ps.pairs.size(); i++) {
        auto [it, fresh] = group_of.emplace(ps.pairs[i].src, (int)groups.size());
        if (fresh) groups.emplace_back();
        groups[it->second].push_back(i);
    }
    std::vector<int> order(groups.size());
    std::iota(order.begin(), order.end(), 0);
    Rng rng(seed);
    rng.shuffle(order.begin(), order.end());
    // fill test, then val, with whole groups until each reaches its share of the pairs
    const double n = (double)ps.pairs.size();
    const long want_test = std::lround(n * test_frac), want_val = std::lround(n * val_frac);
    SplitIdx s;
    for (int g : order) {
        std::vector<int>* dst = (long)s.test.size() < want_test ? &s.test
                              : (long)s.val.size() < want_val   ? &s.val
                                                                : &s.train;
        dst->insert(dst->end(), groups[g].begin(), groups[g].end());
    }
    std::sort(s.train.begin(), s.train.end());
    std::sort(s.val.begin(), s.val.end());
    std::sort(s.test.begin(), s.test.end());
    return s;
}

ImageSet take_images(const ImageSet& src, const std::vector<int>& idx) {
    ImageSet out;  // the description, not the pixels: copying src whole would cost the full set per call
    out.name = src.name, out.source = src.source, out.rows = src.rows, out.cols = src.cols;
    out.num_classes = src.num_classes, out.class_names = src.class_names;
    const size_t D = (size_t)src.rows * src.cols;
    out.count = (int)idx.size();
    out.pixels.resize(idx.size() * D);
    out.labels.resize(idx.size());
    for (size_t i = 0; i < idx.size(); i++) {
        if (idx[i] < 0 || idx[i] >= src.count)
            fail("take_images", "indices in [0, " + std::to_string(src.count) + "), found " + std::to_string(idx[i]));
        std::copy(src.image(idx[i]), src.image(idx[i]) + D, out.pixels.data() + i * D);
        out.labels[i] = src.labels[idx[i]];
    }
    return out;
}

}  // namespace attn
