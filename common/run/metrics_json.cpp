#include "common/run/metrics_json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/core/error.hpp"

namespace attn {

std::string json_escape(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) {  // other control characters must be \u-escaped
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += (char)c;  // UTF-8 bytes pass through unchanged
                }
        }
    }
    return out + "\"";
}

std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    // The shortest of %.15g .. %.17g that reads back as the same double: 0.1 stays "0.1".
    char buf[32];
    for (int digits = 15; digits <= 17; digits++) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

double float_decimal(float v) {
    if (!std::isfinite(v)) return v;
    char buf[32];
    for (int digits = 6; digits <= 9; digits++) {  // 9 digits always read back as the same float
        std::snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
        if (std::strtof(buf, nullptr) == v) break;
    }
    return std::strtod(buf, nullptr);
}

JsonObject::Item& JsonObject::slot(const std::string& key) {
    for (auto& it : items_)
        if (it.key == key) {
            it = Item{};
            it.key = key;
            return it;
        }
    items_.push_back(Item{});
    items_.back().key = key;
    return items_.back();
}

void JsonObject::set_raw(const std::string& key, std::string json) { slot(key).scalar = std::move(json); }

void JsonObject::set(const std::string& key, double v) { set_raw(key, json_number(v)); }
void JsonObject::set(const std::string& key, bool v) { set_raw(key, v ? "true" : "false"); }
void JsonObject::set(const std::string& key, const std::string& v) { set_raw(key, json_escape(v)); }
void JsonObject::set(const std::string& key, const char* v) { set_raw(key, v ? json_escape(v) : "null"); }

void JsonObject::set(const std::string& key, const JsonObject& v) {
    auto copy = std::make_shared<JsonObject>(v);  // copy first: v may be *this or inside it
    slot(key).object = std::move(copy);
}

void JsonObject::set(const std::string& key, const std::vector<double>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); i++) s += (i ? ", " : "") + json_number(v[i]);
    set_raw(key, s + "]");
}

void JsonObject::set(const std::string& key, const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); i++) s += (i ? ", " : "") + json_escape(v[i]);
    set_raw(key, s + "]");
}

void JsonObject::set(const std::string& key, const std::vector<JsonObject>& v) {
    std::vector<JsonObject> copy = v;
    Item& it = slot(key);
    it.objects = std::move(copy);
    it.is_object_list = true;
}

bool JsonObject::has(const std::string& key) const {
    for (const auto& it : items_)
        if (it.key == key) return true;
    return false;
}

void JsonObject::dump_to(std::string& s, int indent, int depth) const {
    if (items_.empty()) {
        s += "{}";
        return;
    }
    const bool pretty = indent > 0;
    auto newline = [&](int d) {
        if (pretty) s.append("\n").append((size_t)(indent * d), ' ');
    };
    s += "{";
    for (size_t i = 0; i < items_.size(); i++) {
        const Item& it = items_[i];
        if (i) s += pretty ? "," : ", ";
        newline(depth + 1);
        s += json_escape(it.key) + ": ";
        if (it.object) {
            it.object->dump_to(s, indent, depth + 1);
        } else if (it.is_object_list) {
            s += "[";
            for (size_t j = 0; j < it.objects.size(); j++) {
                if (j) s += pretty ? "," : ", ";
                newline(depth + 2);
                it.objects[j].dump_to(s, indent, depth + 2);
            }
            if (!it.objects.empty()) newline(depth + 1);
            s += "]";
        } else {
            s += it.scalar;
        }
    }
    newline(depth);
    s += "}";
}

std::string JsonObject::dump(int indent) const {
    std::string s;
    dump_to(s, indent, 0);
    return s + "\n";
}

void JsonObject::save(const std::string& path) const {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) fail(path, "cannot create directory " + parent.string() + ": " + ec.message(),
                 "is --out writable?");
    std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) fail(path, "cannot open for writing", "is --out writable, and not an existing file?");
        f << dump();
        f.flush();
        if (!f) fail(path, "write failed", "is the disk full?");
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        std::string why = ec.message();
        fs::remove(tmp, ec);
        fail(path, "cannot replace the file: " + why, "is it a directory?");
    }
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The position just after the ':' that follows the first "key" at or after `from`, npos if absent.
static size_t value_at(const std::string& text, const std::string& key, size_t from) {
    const size_t k = text.find("\"" + key + "\"", from);
    if (k == std::string::npos) return std::string::npos;
    const size_t colon = text.find(':', k + key.size() + 2);
    return colon == std::string::npos ? colon : colon + 1;
}

std::string json_first_string(const std::string& text, const std::string& key, size_t from) {
    const size_t v = value_at(text, key, from);
    if (v == std::string::npos) return "";
    const size_t q1 = text.find('"', v), q2 = q1 == std::string::npos ? q1 : text.find('"', q1 + 1);
    return q2 == std::string::npos ? "" : text.substr(q1 + 1, q2 - q1 - 1);
}

double json_first_number(const std::string& text, const std::string& key, size_t from) {
    const size_t v = value_at(text, key, from);
    if (v == std::string::npos) return NAN;
    char* end = nullptr;
    const double x = std::strtod(text.c_str() + v, &end);
    return end == text.c_str() + v ? NAN : x;
}

}  // namespace attn
