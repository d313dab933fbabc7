#include "common/data/idx.hpp"

#include <cstdint>

#include "common/core/error.hpp"
#include "common/data/gzfile.hpp"

namespace attn {

// IDX headers are big-endian uint32s
static uint32_t be32(const std::string& b, size_t at) {
    const unsigned char* p = (const unsigned char*)b.data() + at;
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

// Check the header of an IDX file: magic, then ndim dimensions, then prod(dims) bytes.
static void check_idx(const std::string& b, const std::string& path, uint32_t magic, int ndim,
                      const char* what) {
    size_t header = 4 + 4 * (size_t)ndim;
    if (b.empty()) fail(path, std::string("expected an IDX ") + what + " file, found an empty file");
    if (b.size() < 4)
        fail(path + ":byte " + std::to_string(b.size()), std::string("expected an IDX ") + what + " file, found only " +
             std::to_string(b.size()) + " bytes", "the file is truncated; fetch it again");
    if (be32(b, 0) != magic)
        fail(path + ":byte 0",
             std::string("expected IDX ") + what + " magic " + std::to_string(magic) + ", found " +
                 std::to_string(be32(b, 0)),
             magic == 2051 ? "is this an image file (…-images-idx3-ubyte), not a label file?"
                           : "is this a label file (…-labels-idx1-ubyte), not an image file?");
    if (b.size() < header)
        fail(path + ":byte " + std::to_string(b.size()),
             "expected a " + std::to_string(header) + "-byte IDX header, the file has only " +
                 std::to_string(b.size()) + " bytes",
             "the file is truncated; fetch it again");
    uint64_t items = 1;
    for (int d = 0; d < ndim; d++) {
        uint32_t n = be32(b, 4 + 4 * d);
        if (n == 0 || n > (1u << 28))
            fail(path + ":byte " + std::to_string(4 + 4 * d), "expected a dimension in 1..2^28, found " + std::to_string(n));
        items *= n;
        if (items > (1ull << 36))  // 64 GB: a garbage header, and no risk of overflowing `items`
            fail(path + ":byte 4", "expected a plausible IDX size, the header asks for " + std::to_string(items) + "+ items");
    }
    uint64_t need = header + items;
    if (b.size() < need)
        fail(path + ":byte " + std::to_string(b.size()),
             "the header promises " + std::to_string(be32(b, 4)) + " items (" + std::to_string(need) +
                 " bytes) but the data ends at byte " + std::to_string(b.size()),
             "the file is truncated; fetch it again and check its sha256");
    if (b.size() > need)
        fail(path + ":byte " + std::to_string(need),
             "expected the file to end after " + std::to_string(be32(b, 4)) + " items, found " +
                 std::to_string(b.size() - need) + " extra bytes",
             "is the header's count wrong, or two files concatenated?");
}

ImageSet load_idx_images(const std::string& images_path, const std::string& labels_path,
                         const std::string& name) {
    std::string img = read_whole_file(images_path);
    check_idx(img, images_path, 2051, 3, "image");
    std::string lab = read_whole_file(labels_path);
    check_idx(lab, labels_path, 2049, 1, "label");

    ImageSet s;
    s.name = name;
    s.source = images_path;
    s.count = (int)be32(img, 4);
    s.rows = (int)be32(img, 8);
    s.cols = (int)be32(img, 12);
    if ((int)be32(lab, 4) != s.count)
        fail(labels_path, "expected " + std::to_string(s.count) + " labels (as many as images in " + images_path +
                              "), found " + std::to_string(be32(lab, 4)),
             "are the image and label files from the same split (train vs t10k)?");

    // pixels: uint8 -> float in [0,1]. One pass over a contiguous buffer; the compiler vectorises it.
    size_t n = (size_t)s.count * s.rows * s.cols;
    s.pixels.resize(n);
    const unsigned char* src = (const unsigned char*)img.data() + 16;
    float* dst = s.pixels.data();
    const float inv255 = 1.0f / 255.0f;
    for (size_t i = 0; i < n; i++) dst[i] = src[i] * inv255;

    s.labels.resize(s.count);
    for (int i = 0; i < s.count; i++) {
        int y = (unsigned char)lab[8 + i];
        if (y > 9)
            fail(labels_path + ":byte " + std::to_string(8 + i),
                 "expected a label 0..9, found " + std::to_string(y) + " (item " + std::to_string(i) + ")");
        s.labels[i] = y;
    }
    s.num_classes = 10;
    return s;
}

ImageSet load_mnist_dir(const std::string& dir, bool train, const std::string& name) {
    std::string prefix = dir + "/" + (train ? "train" : "t10k");
    auto pick = [&](const std::string& base) {
        if (file_exists(base + ".gz")) return base + ".gz";
        if (file_exists(base)) return base;
        fail(base + "[.gz]", "expected this IDX file to exist",
             "MNIST: data_tools/fetch_mnist.sh; Fashion-MNIST: apt-get install dataset-fashion-mnist");
    };
    std::string images = pick(prefix + "-images-idx3-ubyte");  // images first: errors in a fixed order
    std::string labels = pick(prefix + "-labels-idx1-ubyte");
    ImageSet s = load_idx_images(images, labels, name);
    if (name == "fashion-mnist")
        s.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    else
        s.class_names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    return s;
}

}  // namespace attn
