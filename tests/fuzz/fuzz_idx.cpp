// fuzz_idx.cpp — the IDX image and label loader (MNIST, Fashion-MNIST), plain or gzip-compressed.
// One input holds both files: images, separator, labels (fuzz_util.hpp's split_parts).
#include <zlib.h>

#include "common/data/idx.hpp"
#include "tests/fuzz/fuzz_util.hpp"

static void put_be32(std::string& b, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b += (char)((v >> s) & 0xFF);
}
static std::string gzip(const std::string& raw) {
    std::string out(compressBound(raw.size()) + 64, '\0');
    z_stream z{};
    deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 15 + 16: gzip framing
    z.next_in = (Bytef*)raw.data(), z.avail_in = (uInt)raw.size();
    z.next_out = (Bytef*)out.data(), z.avail_out = (uInt)out.size();
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::vector<std::string> fuzz_seeds() {
    std::string images, labels;
    put_be32(images, 2051), put_be32(images, 3), put_be32(images, 4), put_be32(images, 4);
    for (int k = 0; k < 3 * 4 * 4; k++) images += (char)((k * 51) % 256);
    put_be32(labels, 2049), put_be32(labels, 3);
    labels += "\x01\x07\x09";
    return {fuzz::join_parts({images, labels}), fuzz::join_parts({gzip(images), gzip(labels)}),
            fuzz::join_parts({gzip(images), labels})};
}

void fuzz_one(const std::string& bytes) {
    std::vector<std::string> parts = fuzz::split_parts(bytes, 2);
    attn::load_idx_images(fuzz::scratch_file(parts[0], 0), fuzz::scratch_file(parts[1], 1), "fuzz");
}
