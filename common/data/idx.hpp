// idx.hpp — MNIST-style IDX files (LeCun's format), plain or gzip-compressed.
//
//   images: big-endian uint32 magic 2051, count, rows, cols; then count·rows·cols uint8 pixels
//   labels: big-endian uint32 magic 2049, count;              then count uint8 labels
//
// Pixels become floats in [0, 1] (p / 255). Every header field is checked against the bytes
// actually present, so a truncated download is an error naming the file and byte offset.
#pragma once
#include <string>

#include "common/data/data_types.hpp"

namespace attn {

// Load an image file and its label file (each plain or .gz); counts must agree.
ImageSet load_idx_images(const std::string& images_path, const std::string& labels_path,
                         const std::string& name);

// The four standard names inside dir: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
// (the .gz is preferred when both exist). Works for MNIST and Fashion-MNIST alike.
ImageSet load_mnist_dir(const std::string& dir, bool train, const std::string& name);

}  // namespace attn
