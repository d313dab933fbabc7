#include "common/data/csv.hpp"

#include "common/core/error.hpp"
#include "common/data/gzfile.hpp"
#include "common/data/utf8.hpp"

namespace attn {

static std::string at_line(const std::string& path, long line) { return path + ":" + std::to_string(line); }

CsvTable parse_csv(const std::string& text, const std::string& path, bool has_header) {
    size_t i = 0, n = text.size();
    if (n >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // byte-order mark
    if (i == n) fail(path, "expected CSV data, found an empty file");

    CsvTable t;
    long line = 1;          // current line (counts newlines inside quoted fields too)
    size_t expected = 0;    // fields per record, fixed by the first record
    std::vector<std::string> rec;
    std::string field;
    while (i < n) {
        // ---- one record, starting at `line`
        long rec_line = line;
        rec.clear();
        for (;;) {  // one field per iteration
            field.clear();
            if (i < n && text[i] == '"') {
                long open_line = line;
                i++;
                for (;;) {
                    if (i == n)
                        fail(at_line(path, open_line), "unterminated quoted field: the quote opened here is never closed",
                             "a field that starts with \" must end with \"; a quote inside it is written \"\"");
                    char c = text[i];
                    if (c == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {  // "" -> one quote
                            field += '"';
                            i += 2;
                            continue;
                        }
                        i++;  // the closing quote
                        break;
                    }
                    if (c == '\n') line++;
                    field += c;
                    i++;
                }
                if (i < n && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') &&
                    text[i] != '\r')
                    fail(at_line(path, line), std::string("expected , or end of line after a closing quote, found '") + text[i] + "'",
                         "a quote inside a quoted field must be doubled (\"\")");
            } else {
                size_t start = i;
                while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') i++;
                field.assign(text, start, i - start);
            }
            rec.push_back(field);
            if (i < n && text[i] == ',') {
                i++;
                continue;
            }
            // end of record: CRLF, LF, a lone CR (old Mac files), or the end of the text
            if (i < n && text[i] == '\r') i++;
            if (i < n && text[i] == '\n') i++;
            line++;
            break;
        }
        // ---- check and store it
        if (expected == 0) expected = rec.size();
        else if (rec.size() != expected)
            fail(at_line(path, rec_line),
                 "expected " + std::to_string(expected) + " fields (as in " + (has_header ? "the header" : "the first row") +
                     "), found " + std::to_string(rec.size()),
                 "is a field with a comma or line break missing its quotes?");
        if (has_header && t.header.empty() && t.rows.empty()) {
            t.header = rec;
        } else {
            t.rows.push_back(rec);
            t.line_of_row.push_back(rec_line);
        }
    }
    if (has_header && t.header.empty()) fail(path, "expected a header line, found an empty file");
    return t;
}

CsvTable read_csv(const std::string& path, bool has_header) {
    std::string text = read_whole_file(path);
    check_utf8(text, path);
    return parse_csv(text, path, has_header);
}

int column(const CsvTable& table, const std::string& name, const std::string& path) {
    std::string have;
    for (size_t c = 0; c < table.header.size(); c++) {
        if (table.header[c] == name) return (int)c;
        have += (c ? ", " : "") + table.header[c];
    }
    fail(path + ":1", "expected a column named '" + name + "', the header has: " + (have.empty() ? "(no header)" : have),
         "is this the right file?");
}

}  // namespace attn
