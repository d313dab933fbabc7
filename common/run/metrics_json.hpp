// metrics_json.hpp — a tiny JSON object writer for metrics.json, keys kept in insertion order.
//
//   attn::JsonObject m;
//   m.set("dataset", "fra-eng");  m.set("epochs", 10);  m.set("test_bleu", 23.4);
//   attn::JsonObject split;  split.set("train", 120000L);  m.set("split_sizes", split);
//   m.save(out_dir + "/metrics.json");
//
// Setting a key again replaces its value in place. Strings are escaped per RFC 8259; NaN and
// infinities (which JSON cannot represent) are written as null, so the file always parses.
#pragma once
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace attn {

class JsonObject {
   public:
    void set(const std::string& key, double v);
    void set(const std::string& key, bool v);
    void set(const std::string& key, const std::string& v);
    void set(const std::string& key, const char* v);  // else a literal would pick the bool overload
    void set(const std::string& key, const JsonObject& v);
    void set(const std::string& key, const std::vector<double>& v);
    void set(const std::string& key, const std::vector<std::string>& v);
    void set(const std::string& key, const std::vector<JsonObject>& v);
    // int, long, size_t, ...: written exactly, never through a double.
    template <class T>
        requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
    void set(const std::string& key, T v) {
        if constexpr (std::is_signed_v<T>) set_raw(key, std::to_string((long long)v));
        else set_raw(key, std::to_string((unsigned long long)v));
    }

    bool has(const std::string& key) const;
    size_t size() const { return items_.size(); }
    // indent > 0: one key per line, nested objects indented; indent <= 0: one line.
    std::string dump(int indent = 2) const;
    // Creates parent directories; writes a temporary file and renames it, so a crash never leaves
    // half a file. Throws attn::Error naming the path on failure.
    void save(const std::string& path) const;

   private:
    struct Item {
        std::string key;
        std::string scalar;                      // already-serialised value, when not an object/list
        std::shared_ptr<JsonObject> object;      // nested object
        std::vector<JsonObject> objects;         // list of objects
        bool is_object_list = false;
    };
    Item& slot(const std::string& key);
    void set_raw(const std::string& key, std::string json);
    void dump_to(std::string& s, int indent, int depth) const;
    std::vector<Item> items_;
};

std::string json_escape(const std::string& s);  // with the surrounding quotes
std::string json_number(double v);              // shortest round-trip form, "null" if not finite
// A float setting (a flag's --lr 0.002, --dropout 0.1) as the decimal it was typed as, for set():
// the shortest decimal that reads back as the same float, so 0.1f is written 0.1, not the double
// 0.10000000149011612 it widens to. Not finite: returned as it is (written as null).
double float_decimal(float v);

// Reading a metrics.json back (an earlier chapter's run drawn beside ours, a benchmark's child run):
// the value of the first "key" at or after `from` — enough for the files JsonObject writes (a
// top-level key comes before any nested object that repeats it); not a JSON parser.
std::string read_text_file(const std::string& path);  // "" when it cannot be read
std::string json_first_string(const std::string& text, const std::string& key, size_t from = 0);  // "" if absent
double json_first_number(const std::string& text, const std::string& key, size_t from = 0);  // NaN if absent

}  // namespace attn
