// data_types.hpp — what every loader and every synthetic generator hands to a chapter.
//
// Real files (loaders) and built-in generators (synth_*) produce the same structs, so a
// chapter trains on either without knowing which. `source` says where the data came from
// (a path, or "synthetic: <generator> seed=<n>"), and each program prints it in one line.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/core/buffer.hpp"

namespace attn {

// Images: count × rows × cols grey pixels in [0, 1] (0 background, 1 ink), one label each.
struct ImageSet {
    std::string name;    // "mnist", "fashion-mnist", "translated-60", ...
    std::string source;  // path or generator description
    int count = 0, rows = 0, cols = 0;
    Buf pixels;                  // (count, rows, cols)
    std::vector<int> labels;     // (count), 0 .. num_classes-1
    int num_classes = 10;
    std::vector<std::string> class_names;  // may be empty
    const float* image(int i) const { return pixels.data() + (size_t)i * rows * cols; }
};

// Sentence pairs for translation: already normalised text, tokens separated by single spaces.
struct Pair {
    std::string src, tgt;
};
struct PairSet {
    std::string name, source;
    std::vector<Pair> pairs;
};

// Short texts with a class label (news titles, tweets, synthetic keyword task).
struct LabeledText {
    std::string text;
    int label = 0;
};
struct TextSet {
    std::string name, source;
    std::vector<LabeledText> items;
    std::vector<std::string> class_names;  // label i is class_names[i]
};

}  // namespace attn
