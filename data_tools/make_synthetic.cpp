// make_synthetic — write samples of the built-in synthetic datasets to files, to look at them
// or to feed them to a chapter through --eval-file.
//
//   make_synthetic --set translation --n 1000 --seed 1 --out synth/        -> synth/translation.tsv
//   make_synthetic --set keywords --n 500 --negation --out synth/          -> synth/keywords.csv
//   make_synthetic --set cluttered --canvas 60 --pieces 4 --out synth/     -> synth/cluttered-{images-idx3,labels-idx1}-ubyte
//                                                                             + synth/cluttered.png (first 64)
// Pairs are TSV (src<TAB>tgt), keywords CSV with header y,X (RFC 4180 quoting, y = class name, as
// AG News), images uncompressed IDX (the MNIST layout) plus a PNG contact sheet.
// Image sets start from 28×28 images: --source digits (the procedural digits, default), fashion
// (Debian's /usr/share/datasets/fashion-mnist), or a directory holding train-images-idx3-ubyte[.gz]
// and train-labels-idx1-ubyte[.gz] (e.g. $ATTN_DATA/mnist); the first --n images are used.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/figures/png.hpp"
#include "common/data/idx.hpp"
#include "common/data/synth_dates.hpp"
#include "common/data/synth_images.hpp"
#include "common/data/synth_keywords.hpp"
#include "common/data/synth_translation.hpp"

using namespace attn;

namespace {

const char* kUsage =
    "usage: make_synthetic --set SET --out DIR [options]\n"
    "  --set translation|dates|keywords|digits|translated|cluttered|distorted\n"
    "  --n N            number of examples (default 1000)\n"
    "  --seed S         random seed (default 1)\n"
    "  --out DIR        output directory (created if missing)\n"
    " translation:  --min-len L (3) --max-len L (45) --no-reorder --no-inflect\n"
    " keywords:     --negation\n"
    " image sets:   --source digits|fashion|DIR (default digits)\n"
    "               --canvas C (60) --pieces K (4) --piece P (8)      translated, cluttered\n"
    "               --preset seed|rts|rotation (rts)                   distorted\n";

struct Args {
    std::string set, out, source = "digits", preset = "rts";
    int n = 1000, canvas = 60, pieces = 4, piece = 8, min_len = 3, max_len = 45;
    uint64_t seed = 1;
    bool no_reorder = false, no_inflect = false, negation = false;
};

struct Usage {  // a command-line mistake: message, then exit 2
    std::string msg;
};

long parse_int(const std::string& flag, const std::string& v, long lo, long hi) {
    size_t used = 0;
    long x = 0;
    try {
        x = std::stol(v, &used);
    } catch (...) {
        used = 0;
    }
    if (used != v.size() || v.empty() || x < lo || x > hi)
        throw Usage{flag + ": expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got '" + v + "'"};
    return x;
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; i++) {
        std::string f = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw Usage{f + ": expected a value after it"};
            return argv[++i];
        };
        if (f == "--help" || f == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (f == "--set") a.set = value();
        else if (f == "--out") a.out = value();
        else if (f == "--source") a.source = value();
        else if (f == "--preset") a.preset = value();
        else if (f == "--n") a.n = (int)parse_int(f, value(), 1, 10000000);
        else if (f == "--seed") a.seed = (uint64_t)parse_int(f, value(), 0, 0x7fffffffffffffffL);
        else if (f == "--canvas") a.canvas = (int)parse_int(f, value(), 28, 1000);
        else if (f == "--pieces") a.pieces = (int)parse_int(f, value(), 0, 100);
        else if (f == "--piece") a.piece = (int)parse_int(f, value(), 1, 28);
        else if (f == "--min-len") a.min_len = (int)parse_int(f, value(), 3, 1000);
        else if (f == "--max-len") a.max_len = (int)parse_int(f, value(), 3, 1000);
        else if (f == "--no-reorder") a.no_reorder = true;
        else if (f == "--no-inflect") a.no_inflect = true;
        else if (f == "--negation") a.negation = true;
        else throw Usage{"unknown flag '" + f + "'"};
    }
    static const char* sets[] = {"translation", "dates", "keywords", "digits", "translated", "cluttered", "distorted"};
    if (a.set.empty()) throw Usage{"--set: expected one of translation|dates|keywords|digits|translated|cluttered|distorted"};
    if (std::find(std::begin(sets), std::end(sets), a.set) == std::end(sets))
        throw Usage{"--set: unknown set '" + a.set + "' (expected translation|dates|keywords|digits|translated|cluttered|distorted)"};
    if (a.out.empty()) throw Usage{"--out: expected an output directory"};
    if (a.preset != "seed" && a.preset != "rts" && a.preset != "rotation")
        throw Usage{"--preset: expected seed, rts or rotation, got '" + a.preset + "'"};
    return a;
}

// ---- a 28×28 source set, through the project's IDX loader, cut to the first n images -----------
ImageSet read_idx(const std::string& dir, const std::string& name, int n) {
    ImageSet s = load_mnist_dir(dir, /*train=*/true, name);
    if (s.rows != 28 || s.cols != 28) fail(dir, "28x28 images, found " + std::to_string(s.rows) + "x" + std::to_string(s.cols));
    if (n > s.count) fail(dir, "at least --n " + std::to_string(n) + " images, found " + std::to_string(s.count));
    s.count = n;
    s.pixels.resize((size_t)n * 784);
    s.labels.resize(n);
    return s;
}

// ---- writers ------------------------------------------------------------------------------------
std::ofstream open_out(const std::string& path) {
    std::ofstream f(path, std::ios::binary);
    if (!f) fail(path, "a writable file");
    return f;
}
std::string csv_field(const std::string& s) {  // RFC 4180: quote when needed, double inner quotes
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}
void put_be32(std::ofstream& f, uint32_t v) {
    char b[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    f.write(b, 4);
}
uint8_t to_byte(float v) { return (uint8_t)std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f); }

void write_images(const ImageSet& s, const std::string& out, const std::string& stem) {
    std::string ip = out + "/" + stem + "-images-idx3-ubyte", lp = out + "/" + stem + "-labels-idx1-ubyte";
    std::ofstream fi = open_out(ip), fl = open_out(lp);
    put_be32(fi, 2051), put_be32(fi, s.count), put_be32(fi, s.rows), put_be32(fi, s.cols);
    for (float v : s.pixels) fi.put((char)to_byte(v));
    put_be32(fl, 2049), put_be32(fl, s.count);
    for (int y : s.labels) fl.put((char)y);
    if (!fi || !fl) fail(ip, "all bytes written", "is the disk full?");
    // contact sheet: the first 64 images, 8 per row, zoomed to ~100 px, separated by 2 grey pixels
    int k = std::min(s.count, 64), per_row = std::min(k, 8), rows = (k + per_row - 1) / per_row;
    int z = std::max(1, 100 / s.cols), cw = s.cols * z, ch = s.rows * z, gap = 2;
    int W = per_row * (cw + gap) + gap, H = rows * (ch + gap) + gap;
    std::vector<uint8_t> px((size_t)W * H, 96);
    for (int i = 0; i < k; i++) {
        int x0 = gap + (i % per_row) * (cw + gap), y0 = gap + (i / per_row) * (ch + gap);
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) px[(size_t)(y0 + y) * W + x0 + x] = to_byte(s.image(i)[(y / z) * s.cols + x / z]);
    }
    std::string png = out + "/" + stem + ".png";
    write_png(png, W, H, 1, px.data());
    std::printf("wrote %s, %s (%d images %dx%d) and %s (first %d)\n", ip.c_str(), lp.c_str(), s.count, s.rows, s.cols,
                png.c_str(), k);
}

void write_pairs(const PairSet& s, const std::string& out) {
    std::string path = out + "/" + s.name.substr(s.name.find('-') + 1) + ".tsv";
    std::ofstream f = open_out(path);
    for (const Pair& p : s.pairs) f << p.src << '\t' << p.tgt << '\n';
    std::printf("wrote %s (%zu pairs)\n", path.c_str(), s.pairs.size());
}

void write_texts(const TextSet& s, const std::string& out) {
    std::string path = out + "/keywords.csv";
    std::ofstream f = open_out(path);
    f << "y,X\n";
    for (const LabeledText& t : s.items) f << csv_field(s.class_names[t.label]) << ',' << csv_field(t.text) << '\n';
    std::printf("wrote %s (%zu texts)\n", path.c_str(), s.items.size());
}

void run(const Args& a) {
    std::filesystem::create_directories(a.out);
    if (a.set == "translation") {
        SynthTranslationOptions o;
        o.min_len = a.min_len, o.max_len = a.max_len, o.reorder = !a.no_reorder, o.inflect = !a.no_inflect;
        PairSet s = synth_translation(a.n, a.seed, o);
        std::printf("%s\n", s.source.c_str());
        return write_pairs(s, a.out);
    }
    if (a.set == "dates") {
        PairSet s = synth_dates(a.n, a.seed);
        std::printf("%s\n", s.source.c_str());
        return write_pairs(s, a.out);
    }
    if (a.set == "keywords") {
        SynthKeywordOptions o;
        o.negation = a.negation;
        TextSet s = synth_keywords(a.n, a.seed, o);
        std::printf("%s\n", s.source.c_str());
        return write_texts(s, a.out);
    }
    // image sets: a 28×28 source first (its own seed stream: seed + 1, so the placement is not
    // correlated with the drawing of the digits)
    ImageSet src = a.source == "digits"  ? synth_digits(a.n, a.seed + 1)
                   : a.source == "fashion" ? read_idx("/usr/share/datasets/fashion-mnist", "fashion-mnist", a.n)
                                           : read_idx(a.source, std::filesystem::path(a.source).filename().string(), a.n);
    ImageSet s;
    if (a.set == "digits") s = src;
    else if (a.set == "translated") s = make_translated(src, a.canvas, a.seed);
    else if (a.set == "cluttered") s = make_cluttered(src, a.canvas, a.pieces, a.piece, a.seed);
    else
        s = make_distorted(src, a.preset == "seed" ? distort_seed_example() : a.preset == "rts" ? distort_rts() : distort_rotation(),
                           a.seed);
    std::printf("%s\n", s.source.c_str());
    write_images(s, a.out, a.set);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        run(parse(argc, argv));
    } catch (const Usage& u) {
        std::fprintf(stderr, "make_synthetic: %s\n%s", u.msg.c_str(), kUsage);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_synthetic: %s\n", e.what());
        return 1;
    }
    return 0;
}
