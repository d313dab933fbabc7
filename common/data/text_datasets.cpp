#include "common/data/text_datasets.hpp"

#include "common/data/csv.hpp"
#include "common/core/error.hpp"

namespace attn {

static const std::vector<std::string> kAgClasses = {"World", "Sports", "Business", "Sci/Tech"};

// Replace an AG HTML entity `name` (given without its '&'); the space before it stands for the
// lost '&' and goes too.
static bool match_entity(const std::string& s, size_t& i, std::string& out) {
    static const struct {
        const char* name;
        const char* repl;
    } ents[] = {{"#39;", "'"}, {"quot;", "\""}, {"lt;", "<"}, {"gt;", ">"}, {"amp;", "&"}, {"#36;", "$"}};
    for (const auto& e : ents) {
        std::string name = e.name;
        if (s.compare(i, name.size(), name) != 0) continue;
        bool after_gap = i == 0 || s[i - 1] == ' ' || s[i - 1] == '&';
        if (name[0] != '#' && !after_gap) continue;  // "lt;" inside a word is not an entity
        if (!out.empty() && (out.back() == ' ' || out.back() == '&')) out.pop_back();
        out += e.repl;
        i += name.size();
        return true;
    }
    return false;
}

std::string clean_ag_text(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        char c = s[i];
        if (c == '\\') {
            if (i + 1 < s.size() && s[i + 1] == '$') {
                out += '$';
                i += 2;
            } else {
                out += ' ';
                i++;
            }
            continue;
        }
        if ((c == '#' || c == 'q' || c == 'l' || c == 'g' || c == 'a') && match_entity(s, i, out)) continue;
        out += c;
        i++;
    }
    // collapse the runs of spaces the replacements may leave, and trim
    std::string t;
    t.reserve(out.size());
    for (char ch : out) {
        if (ch == ' ' && (t.empty() || t.back() == ' ')) continue;
        t += ch;
    }
    while (!t.empty() && t.back() == ' ') t.pop_back();
    return t;
}

TextSet load_ag_news_csv(const std::string& path, bool with_description) {
    CsvTable t = read_csv(path, /*has_header=*/false);
    TextSet ts;
    ts.name = "ag_news";
    ts.source = path;
    ts.class_names = kAgClasses;
    if (t.rows.empty()) fail(path, "expected AG News rows, found none");
    const auto& first = t.rows[0];
    if (first.size() == 2 && ((first[0] == "y" && first[1] == "X") || (first[0] == "X" && first[1] == "y"))) {
        // Made With ML layout: header y,X (in either order), class names
        int cy = first[0] == "y" ? 0 : 1, cx = 1 - cy;
        ts.items.reserve(t.rows.size() - 1);
        for (size_t r = 1; r < t.rows.size(); r++) {
            const std::string& y = t.rows[r][cy];
            int label = -1;
            for (int k = 0; k < 4; k++)
                if (y == kAgClasses[k]) label = k;
            if (label < 0)
                fail(path + ":" + std::to_string(t.line_of_row[r]),
                     "expected a class World, Sports, Business or Sci/Tech, found '" + y + "'");
            ts.items.push_back({clean_ag_text(t.rows[r][cx]), label});
        }
        ts.source += " (Made With ML layout)";
        return ts;
    }
    if (first.size() != 3)
        fail(path + ":1",
             "expected an AG News CSV: a header y,X (Made With ML) or 3 fields \"class\",\"title\",\"description\", found " +
                 std::to_string(first.size()) + " fields",
             "is this train.csv / test.csv of AG News?");
    ts.items.reserve(t.rows.size());
    for (size_t r = 0; r < t.rows.size(); r++) {
        const auto& row = t.rows[r];
        const std::string& y = row[0];
        if (y.size() != 1 || y[0] < '1' || y[0] > '4')
            fail(path + ":" + std::to_string(t.line_of_row[r]), "expected a class 1..4 in the first field, found '" + y + "'",
                 "the official AG News CSV has no header: \"class\",\"title\",\"description\"");
        std::string text = row[1];
        if (with_description && !row[2].empty()) text += " " + row[2];
        ts.items.push_back({clean_ag_text(text), y[0] - '1'});
    }
    ts.source += " (official layout)";
    return ts;
}

TextSet load_airline_tweets(const std::string& path) {
    CsvTable t = read_csv(path, /*has_header=*/true);
    int cs = column(t, "airline_sentiment", path), ct = column(t, "text", path);
    TextSet ts;
    ts.name = "tweets";
    ts.source = path;
    ts.class_names = {"negative", "neutral", "positive"};
    ts.items.reserve(t.rows.size());
    for (size_t r = 0; r < t.rows.size(); r++) {
        const std::string& y = t.rows[r][cs];
        int label = y == "negative" ? 0 : y == "neutral" ? 1 : y == "positive" ? 2 : -1;
        if (label < 0)
            fail(path + ":" + std::to_string(t.line_of_row[r]),
                 "expected airline_sentiment negative, neutral or positive, found '" + y + "'");
        ts.items.push_back({t.rows[r][ct], label});
    }
    if (ts.items.empty()) fail(path, "expected tweets after the header, found none");
    return ts;
}

}  // namespace attn
