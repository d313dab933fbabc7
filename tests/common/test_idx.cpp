// IDX / gzip loaders: good files round-trip; every kind of bad file is an error naming the file
// and the byte offset.
#include <doctest/doctest.h>

#include "tests/temp_files.hpp"
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/data/gzfile.hpp"
#include "common/data/idx.hpp"
#include "common/core/rng.hpp"

namespace {

std::string tmp_path(const std::string& name) { return attn::testing::temp_path("idx", name); }
using attn::testing::write_bytes;

void put_be32(std::string& b, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b += (char)((v >> s) & 0xFF);
}

// images: count × rows × cols, pixel k of the file = (k * 51) % 256
std::string idx_images(uint32_t count_in_header, int count, int rows, int cols) {
    std::string b;
    put_be32(b, 2051);
    put_be32(b, count_in_header);
    put_be32(b, rows);
    put_be32(b, cols);
    for (int k = 0; k < count * rows * cols; k++) b += (char)((k * 51) % 256);
    return b;
}

std::string idx_labels(int count) {
    std::string b;
    put_be32(b, 2049);
    put_be32(b, count);
    for (int i = 0; i < count; i++) b += (char)(i % 10);
    return b;
}

std::string gzip_bytes(const std::string& raw) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, raw.size()) + 64, '\0');
    zs.next_in = (Bytef*)raw.data();
    zs.avail_in = (uInt)raw.size();
    zs.next_out = (Bytef*)out.data();
    zs.avail_out = (uInt)out.size();
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace

TEST_CASE("idx: plain and gzipped files load to the same pixels in [0,1] and labels") {
    std::string img = tmp_path("img-idx3-ubyte"), lab = tmp_path("lab-idx1-ubyte");
    write_bytes(img, idx_images(3, 3, 2, 4));
    write_bytes(lab, idx_labels(3));
    attn::ImageSet s = attn::load_idx_images(img, lab, "toy");
    CHECK(s.count == 3);
    CHECK(s.rows == 2);
    CHECK(s.cols == 4);
    CHECK(s.name == "toy");
    REQUIRE(s.pixels.size() == 24);
    CHECK(s.pixels[0] == 0.0f);
    CHECK(s.pixels[1] == doctest::Approx(51 / 255.0));
    CHECK(s.pixels[5] == 1.0f);  // 255
    CHECK(s.image(1)[0] == doctest::Approx(((8 * 51) % 256) / 255.0));
    CHECK(s.labels == std::vector<int>{0, 1, 2});

    write_bytes(img + ".gz", gzip_bytes(idx_images(3, 3, 2, 4)));
    write_bytes(lab + ".gz", gzip_bytes(idx_labels(3)));
    attn::ImageSet g = attn::load_idx_images(img + ".gz", lab + ".gz", "toy");
    CHECK(g.pixels == s.pixels);
    CHECK(g.labels == s.labels);

    // concatenated gzip members are one stream
    std::string raw = idx_labels(3);
    write_bytes(lab + ".2.gz", gzip_bytes(raw.substr(0, 5)) + gzip_bytes(raw.substr(5)));
    CHECK(attn::read_whole_file(lab + ".2.gz") == raw);
}

TEST_CASE("idx: load_mnist_dir finds the standard names, .gz or plain") {
    auto dir = std::filesystem::temp_directory_path() / "attn_test_idx" / "mnistdir";
    std::filesystem::create_directories(dir);
    write_bytes((dir / "t10k-images-idx3-ubyte.gz").string(), gzip_bytes(idx_images(2, 2, 28, 28)));
    write_bytes((dir / "t10k-labels-idx1-ubyte").string(), idx_labels(2));
    attn::ImageSet s = attn::load_mnist_dir(dir.string(), false, "mnist");
    CHECK(s.count == 2);
    CHECK(s.class_names.size() == 10);
    CHECK_THROWS_WITH_AS(attn::load_mnist_dir(dir.string(), true, "mnist"),
                         doctest::Contains("train-images-idx3-ubyte[.gz]"), attn::Error);
}

TEST_CASE("idx: bad files are errors naming the file and the place") {
    std::string img = tmp_path("bad-images"), lab = tmp_path("bad-labels");
    write_bytes(lab, idx_labels(3));

    SUBCASE("missing file") {
        CHECK_THROWS_WITH_AS(attn::load_idx_images(tmp_path("nope-images"), lab, "x"),
                             doctest::Contains("nope-images: cannot open"), attn::Error);
    }
    SUBCASE("empty file") {
        write_bytes(img, "");
        CHECK_THROWS_WITH_AS(attn::load_idx_images(img, lab, "x"), doctest::Contains("found an empty file"), attn::Error);
    }
    SUBCASE("wrong magic: labels given as images") {
        CHECK_THROWS_WITH_AS(attn::load_idx_images(lab, lab, "x"),
                             doctest::Contains("bad-labels:byte 0: expected IDX image magic 2051, found 2049"), attn::Error);
    }
    SUBCASE("header shorter than 16 bytes") {
        write_bytes(img, idx_images(3, 3, 2, 2).substr(0, 10));
        CHECK_THROWS_WITH_AS(attn::load_idx_images(img, lab, "x"), doctest::Contains("bad-images:byte 10"), attn::Error);
    }
    SUBCASE("truncated pixels") {
        std::string b = idx_images(3, 3, 2, 2);
        b.pop_back();
        write_bytes(img, b);
        CHECK_THROWS_WITH_AS(attn::load_idx_images(img, lab, "x"),
                             doctest::Contains("bad-images:byte 27: the header promises 3 items (28 bytes)"), attn::Error);
    }
    SUBCASE("header claims more items than the bytes hold") {
        write_bytes(img, idx_images(1000, 3, 2, 2));
        CHECK_THROWS_WITH_AS(attn::load_idx_images(img, lab, "x"),
                             doctest::Contains("promises 1000 items (4016 bytes) but the data ends at byte 28"), attn::Error);
    }
    SUBCASE("extra bytes after the promised items") {
        write_bytes(img, idx_images(3, 3, 2, 2) + "xx");
        CHECK_THROWS_WITH_AS(attn::load_idx_images(img, lab, "x"), doctest::Contains("bad-images:byte 28"), attn::Error);
    }
    SUBCASE("image and label counts differ") {
        write_bytes(img, idx_images(4, 4, 2, 2));
        CHECK_THROWS_WITH_AS(attn::load_idx_images(img, lab, "x"),
                             doctest::Contains("bad-labels: expected 4 labels"), attn::Error);
    }
    SUBCASE("label out of range") {
        std::string b = idx_labels(3);
        b[9] = 12;
        write_bytes(lab, b);
        write_bytes(img, idx_images(3, 3, 2, 2));
        CHECK_THROWS_WITH_AS(attn::load_idx_images(img, lab, "x"),
                             doctest::Contains("bad-labels:byte 9: expected a label 0..9, found 12"), attn::Error);
    }
    SUBCASE("corrupted gzip") {
        std::string gz = gzip_bytes(idx_images(3, 3, 16, 16));
        for (size_t k = 12; k < 40 && k < gz.size() - 8; k++) gz[k] = (char)0xFF;
        write_bytes(img + ".gz", gz);
        CHECK_THROWS_WITH_AS(attn::load_idx_images(img + ".gz", lab, "x"),
                             doctest::Contains("bad-images.gz: corrupt gzip data at compressed byte"), attn::Error);
    }
    SUBCASE("truncated gzip") {
        std::string gz = gzip_bytes(idx_images(3, 3, 16, 16));
        write_bytes(img + ".gz", gz.substr(0, gz.size() / 2));
        CHECK_THROWS_WITH_AS(attn::load_idx_images(img + ".gz", lab, "x"),
                             doctest::Contains("bad-images.gz: truncated gzip data"), attn::Error);
    }
}

TEST_CASE("idx: random damage to headers and gzip streams is an attn::Error or a valid set, never a crash") {
    attn::Rng rng(11);
    std::string img = tmp_path("fuzz-images.gz"), lab = tmp_path("fuzz-labels");
    write_bytes(lab, idx_labels(3));
    const std::string good = gzip_bytes(idx_images(3, 3, 4, 4));
    int errors = 0;
    for (int trial = 0; trial < 200; trial++) {
        std::string g = good;
        int hits = 1 + (int)rng.below(3);
        for (int k = 0; k < hits; k++) g[rng.below(g.size())] = (char)rng.below(256);
        if (trial % 5 == 0) g.resize(rng.below(g.size()));
        write_bytes(img, g);
        try {
            attn::ImageSet s = attn::load_idx_images(img, lab, "x");
            CHECK(s.pixels.size() == (size_t)s.count * s.rows * s.cols);
        } catch (const attn::Error& e) {
            errors++;
            CHECK(std::string(e.what()).find("fuzz-images.gz") != std::string::npos);
        }
    }
    CHECK(errors > 100);
}

#include "common/data/data_find.hpp"
#include "common/data/image_data.hpp"

TEST_CASE("load_image_data: synthetic digits, explicit datasets that are missing, bad choices") {
    attn::ImageData syn = attn::load_image_data("synthetic", "", 5);
    CHECK(syn.name == "synthetic");
    CHECK(syn.train.count == 20000);
    CHECK(syn.test.count == 4000);
    CHECK(syn.train.rows == 28);
    CHECK_THROWS_WITH_AS(attn::load_image_data("mnist", "/nonexistent_attn_dir", 5),
                         doctest::Contains("/nonexistent_attn_dir/mnist"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_image_data("cifar", "", 5), doctest::Contains("cifar"), attn::Error);
}

// An explicit --data-dir must hold data the chapter can use (it used to be ignored under --data auto:
// an empty directory silently trained on Fashion-MNIST or the synthetic digits).
TEST_CASE("load_image_data: --data auto with a --data-dir that holds no images is an error, not a fallback") {
    namespace fs = std::filesystem;
    const fs::path empty = attn::testing::temp_path("idx", "empty_data_dir");
    fs::remove_all(empty);
    fs::create_directories(empty);
    const std::string said = "--data-dir " + empty.string() + ": expected a directory holding mnist/ or fashion-mnist/";
    CHECK_THROWS_WITH_AS(attn::load_image_data("auto", empty.string(), 5), doctest::Contains(said.c_str()), attn::Error);
    const std::string file = attn::testing::write_temp_file("idx", "not_a_dir", "x");
    CHECK_THROWS_WITH_AS(attn::load_image_data("auto", file, 5), doctest::Contains("expected a directory"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_image_data("auto", "/nonexistent_attn_dir", 5), doctest::Contains("--data-dir"), attn::Error);
    CHECK_NOTHROW(attn::check_data_dir_flag("", {"mnist"}));  // no flag: the quiet fallbacks stay
    // a directory holding Fashion-MNIST (written here as IDX files) is accepted under auto
    fs::create_directories(empty / "fashion-mnist");
    attn::testing::write_bytes((empty / "fashion-mnist/train-images-idx3-ubyte").string(), "");
    CHECK_NOTHROW(attn::check_data_dir_flag(empty.string(), {"mnist", "fashion-mnist"}));
    fs::remove_all(empty);
}

// A long run that reproduces an MNIST result (chapters 09 and 10 with --full) never falls back: a
// chapter 10 --full once trained 55 minutes on Fashion-MNIST because MNIST was not found, and its
// 71 % was taken for a collapse of the model.
#include "common/run/image_splits.hpp"

TEST_CASE("data_for_mnist_run: --data auto means MNIST or an error before training; other choices stay") {
    namespace fs = std::filesystem;
    const fs::path root = attn::testing::temp_path("idx", "mnist_run_data");
    fs::remove_all(root);
    fs::create_directories(root / "fashion-mnist");
    attn::testing::write_bytes((root / "fashion-mnist/train-images-idx3-ubyte").string(), "");
    const char* was = std::getenv("ATTN_DATA");
    const std::string saved = was ? was : "";
    setenv("ATTN_DATA", root.string().c_str(), 1);  // a data root with Fashion-MNIST only
    CHECK_THROWS_WITH_AS(attn::data_for_mnist_run("auto", "", "--full"),
                         doctest::Contains("--full: expected MNIST, the data its results are measured on"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::data_for_mnist_run("auto", "", "--full"),
                         doctest::Contains("--data fashion-mnist or --data synthetic"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::data_for_mnist_run("auto", root.string(), "--full"),
                         doctest::Contains("--data-dir"), attn::Error);  // an explicit --data-dir without mnist/
    CHECK(attn::data_for_mnist_run("fashion-mnist", "", "--full") == "fashion-mnist");  // chosen on purpose
    CHECK(attn::data_for_mnist_run("synthetic", "", "--full") == "synthetic");
    fs::create_directories(root / "mnist");
    attn::testing::write_bytes((root / "mnist/train-images-idx3-ubyte").string(), "");
    CHECK(attn::data_for_mnist_run("auto", "", "--full") == "mnist");
    CHECK(attn::data_for_mnist_run("auto", root.string(), "--full") == "mnist");
    if (was) setenv("ATTN_DATA", saved.c_str(), 1);
    else unsetenv("ATTN_DATA");
    fs::remove_all(root);
}
