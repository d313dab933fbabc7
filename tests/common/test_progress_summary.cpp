// Tests for the terminal output helpers: progress bar, number formats, model summary, metrics.json.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/core/error.hpp"
#include "common/run/metrics_json.hpp"
#include "common/core/params.hpp"
#include "common/core/thread_pool.hpp"
#include "common/run/progress.hpp"
#include "common/run/summary.hpp"

using namespace attn;
namespace fs = std::filesystem;

static std::string read_all(std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    size_t k;
    while ((k = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, k);
    return s;
}

static bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// ---- progress bar -----------------------------------------------------------------------------

TEST_CASE("progress: the line reads like tqdm") {
    ProgressBar bar(3, 20, 48000, nullptr, false);
    CHECK(bar.line(48000, "loss=0.221, acc=0.933 | val_loss=0.262, val_acc=0.918", 12.34, -1) ==
          "Epoch 3/20: 100%|██████████| 48000/48000 [loss=0.221, acc=0.933 | val_loss=0.262, val_acc=0.918] 12.3s");
    CHECK(bar.line(24000, "", 1.0, 1.0) == "Epoch 3/20:  50%|█████     | 24000/48000 1.0s<1.0s");
    CHECK(bar.line(27000, "", 1.0, -1) == "Epoch 3/20:  56%|█████▋    | 27000/48000 1.0s");  // 5.625 cells
    CHECK(bar.line(0, "", 0, -1) == "Epoch 3/20:   0%|          | 0/48000 0.0s");
}

TEST_CASE("progress: not a terminal -> only the final line, no carriage returns") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    ProgressBar bar(1, 2, 100, f, false);
    for (long i = 10; i <= 100; i += 10) bar.update(i, metrics_str({{"loss", 1.0 / (double)i}}));
    CHECK(read_all(f).empty());
    bar.finish("loss=0.010 | val_loss=0.020");
    bar.finish("again");  // a second finish prints nothing
    std::string s = read_all(f);
    CHECK(s.find('\r') == std::string::npos);
    CHECK(std::count(s.begin(), s.end(), '\n') == 1);
    CHECK(starts_with(s, "Epoch 1/2: 100%|██████████| 100/100 [loss=0.010 | val_loss=0.020] "));
    CHECK(s.substr(s.size() - 2) == "s\n");
    std::fclose(f);
}

TEST_CASE("progress: a terminal gets in-place redraws, at most ~10 per second") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    ProgressBar bar(2, 2, 1000000, f, true);
    for (long i = 1; i < 1000000; i += 1000) bar.update(i, "loss=1.000");  // fast: well under 100 ms
    bar.update(1000000, "loss=0.500");                                     // the last one always draws
    bar.finish("loss=0.500");
    std::string s = read_all(f);
    long redraws = std::count(s.begin(), s.end(), '\r');
    CHECK(redraws >= 2);
    CHECK(redraws <= 2 + (long)(bar.seconds() * 10) + 1);
    CHECK(s.find("\033[K") != std::string::npos);
    CHECK(s.back() == '\n');
    CHECK(std::count(s.begin(), s.end(), '\n') == 1);
    std::fclose(f);
}

TEST_CASE("progress: a dropped last batch shows the true count") {
    std::FILE* f = std::tmpfile();
    ProgressBar bar(1, 1, 100, f, false);
    bar.update(96, "");
    bar.finish("");
    CHECK(starts_with(read_all(f), "Epoch 1/1:  96%|█████████▌| 96/100 "));
    std::fclose(f);
}

TEST_CASE("progress: metric and time formats") {
    CHECK(fmt_metric("loss", 0.22149) == "loss=0.221");
    CHECK(fmt_metric("acc", 0.9335, 2) == "acc=0.93");
    CHECK(fmt_metric("bleu", 23.456, 1) == "bleu=23.5");
    CHECK(fmt_metric("loss", 0.0) == "loss=0.000");
    CHECK(fmt_metric("grad", 1.5e-5) == "grad=1.5e-05");  // would print as 0.000
    CHECK(fmt_metric("ppl", 2.5e7) == "ppl=2.5e+07");
    CHECK(fmt_metric("loss", NAN) == "loss=nan");
    CHECK(metrics_str({{"loss", 0.5}, {"acc", 0.25}}) == "loss=0.500, acc=0.250");
    CHECK(fmt_seconds(12.34) == "12.3s");
    CHECK(fmt_seconds(245) == "4m05s");
    CHECK(fmt_seconds(3720) == "1h02m");
    CHECK(fmt_seconds(-1) == "0.0s");
}

// ---- model summary ----------------------------------------------------------------------------

TEST_CASE("threads_text: the thread count as the programs print it, singular for one") {
    set_threads(1);
    CHECK(threads_text() == "1 thread");
    set_threads(2);
    CHECK(threads_text() == "2 threads");
    set_threads(0);
}

TEST_CASE("summary: thousands separators") {
    CHECK(with_commas(0) == "0");
    CHECK(with_commas(999) == "999");
    CHECK(with_commas(1000) == "1,000");
    CHECK(with_commas(200960) == "200,960");
    CHECK(with_commas(1234567) == "1,234,567");
    CHECK(with_commas(-1234567) == "-1,234,567");
    CHECK(with_commas(LONG_MIN) == "-9,223,372,036,854,775,808");
}

TEST_CASE("summary: rows aligned, with a total") {
    std::string s = summary_str("MLP", {{"Linear(784, 256)", 200960}, {"Linear(256, 10)", 2570}});
    CHECK(s ==
          "Model: MLP\n"
          "  Linear(784, 256):  200,960 params\n"
          "  Linear(256, 10):     2,570 params\n"
          "  ---------------------------------\n"
          "  total:             203,530 params\n");
}

TEST_CASE("summary: grouped from a ParamSet by layer prefix") {
    Tensor w1, b1, w2, b2, pos, w1b;
    ParamSet ps;
    ps.add(w1, "enc.fc1.weight", {256, 784});
    ps.add(b1, "enc.fc1.bias", {256});
    ps.add(pos, "pos", {5, 3});
    ps.add(w2, "fc2.weight", {10, 256});
    ps.add(b2, "fc2.bias", {10});
    ps.add(w1b, "enc.fc1.scale", {2});  // same layer, declared later: joins its group
    ps.allocate();
    auto rows = summary_from_params(ps);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].layer == "enc.fc1");
    CHECK(rows[0].params == 256 * 784 + 256 + 2);
    CHECK(rows[1].layer == "pos");
    CHECK(rows[1].params == 15);
    CHECK(rows[2].layer == "fc2");
    CHECK(rows[2].params == 2570);
}

// ---- metrics.json -----------------------------------------------------------------------------

TEST_CASE("json: ordered keys, nesting, arrays, replacement") {
    JsonObject split;
    split.set("train", 120000);
    split.set("test", (size_t)5000);
    JsonObject m;
    m.set("dataset", "fra-eng");
    m.set("epochs", 10);
    m.set("bleu", 23.5);
    m.set("quick", false);
    m.set("split_sizes", split);
    m.set("curve", std::vector<double>{1.0, 0.5, 0.25});
    m.set("classes", std::vector<std::string>{"a", "b"});
    m.set("empty", JsonObject{});
    m.set("epochs", 12);  // replaced in place
    CHECK(m.size() == 8);
    CHECK(m.has("curve"));
    CHECK_FALSE(m.has("nope"));
    CHECK(m.dump() ==
          "{\n"
          "  \"dataset\": \"fra-eng\",\n"
          "  \"epochs\": 12,\n"
          "  \"bleu\": 23.5,\n"
          "  \"quick\": false,\n"
          "  \"split_sizes\": {\n"
          "    \"train\": 120000,\n"
          "    \"test\": 5000\n"
          "  },\n"
          "  \"curve\": [1, 0.5, 0.25],\n"
          "  \"classes\": [\"a\", \"b\"],\n"
          "  \"empty\": {}\n"
          "}\n");
    CHECK(split.dump(0) == "{\"train\": 120000, \"test\": 5000}\n");

    JsonObject list;
    JsonObject a, b;
    a.set("len", 10);
    b.set("len", 20);
    list.set("buckets", std::vector<JsonObject>{a, b});
    CHECK(list.dump() == "{\n  \"buckets\": [\n    {\n      \"len\": 10\n    },\n    {\n      \"len\": 20\n    }\n  ]\n}\n");
}

TEST_CASE("json: escaping, exact integers, shortest doubles, non-finite as null") {
    CHECK(json_escape("a\"b\\c\nd\te\x01 é") == "\"a\\\"b\\\\c\\nd\\te\\u0001 é\"");
    CHECK(json_number(0.1) == "0.1");
    CHECK(json_number(1.0 / 3) == "0.3333333333333333");
    CHECK(std::stod(json_number(1.0 / 3)) == 1.0 / 3);
    // a float setting is written as typed, and still reads back as the same float
    CHECK(json_number(float_decimal(0.1f)) == "0.1");
    CHECK(json_number(float_decimal(2e-3f)) == "0.002");
    CHECK(json_number(float_decimal(1e-7f)) == "1e-07");
    CHECK(json_number(float_decimal(0.0f)) == "0");
    CHECK((float)float_decimal(0.123456789f) == 0.123456789f);
    CHECK(json_number(float_decimal(0.123456789f)).size() <= 10);  // 9 digits at most: "0.12345679"
    CHECK(json_number(-2.5e-300) == "-2.5e-300");
    CHECK(json_number(NAN) == "null");
    CHECK(json_number(INFINITY) == "null");
    JsonObject m;
    m.set("big", 9007199254740993L);  // 2^53 + 1: not representable as a double
    m.set("bad", std::vector<double>{1, NAN, -INFINITY});
    m.set("key \"q\"", "v");
    CHECK(m.dump(0) == "{\"big\": 9007199254740993, \"bad\": [1, null, null], \"key \\\"q\\\"\": \"v\"}\n");
}

TEST_CASE("json: reading back the first value of a key, as another chapter's run is read") {
    JsonObject ram, m;
    ram.set("test_accuracy", 0.5);
    m.set("dataset", "fra-eng"), m.set("test_accuracy", 0.9), m.set("missing", NAN), m.set("ram", ram);
    const std::string t = m.dump();
    CHECK(json_first_string(t, "dataset") == "fra-eng");
    CHECK(json_first_number(t, "test_accuracy") == doctest::Approx(0.9));  // the top-level one comes first
    CHECK(json_first_number(t, "test_accuracy", t.find("\"ram\"")) == doctest::Approx(0.5));
    CHECK(std::isnan(json_first_number(t, "missing")));  // written as null
    CHECK(std::isnan(json_first_number(t, "absent")));
    CHECK(json_first_string(t, "absent").empty());
    CHECK(read_text_file("/nonexistent/metrics.json").empty());
}

TEST_CASE("json: save creates directories and fails with the path named") {
    fs::path dir = fs::temp_directory_path() / ("attn_test_json_" + std::to_string(getpid()));
    JsonObject m;
    m.set("x", 1);
    std::string path = (dir / "a" / "b" / "metrics.json").string();
    m.save(path);
    std::ifstream f(path);
    std::string text((std::istreambuf_iterator<char>(f)), {});
    CHECK(text == m.dump());
    CHECK_FALSE(fs::exists(path + ".tmp"));
    // a parent that is a file, not a directory
    std::string under_file = (dir / "a" / "b" / "metrics.json" / "x.json").string();
    try {
        m.save(under_file);
        FAIL("save into a file's 'directory' should throw");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find(under_file) != std::string::npos);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
}
