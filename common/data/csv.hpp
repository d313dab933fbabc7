// csv.hpp — an RFC 4180 CSV reader: the format of AG News and the airline tweets.
//
//   field   = plain text without , " CR LF   |   "quoted text, where "" is one quote, and
//             commas and line breaks are part of the field"
//   record  = field *("," field), ended by LF or CRLF (or the end of the file)
//
// Every record must have as many fields as the first (the header, when there is one).
// Bad input is an error naming file:line — never a silently dropped or merged row:
//   Tweets.csv:812: unterminated quoted field (the quote opened here is never closed)
//   news.csv:17: expected 2 fields (as in the header), found 3
// Leniency, on purpose: a quote in the middle of an unquoted field (`5" screen`) is kept as a
// character, as every spreadsheet does; a UTF-8 byte-order mark at the start is skipped.
#pragma once
#include <string>
#include <vector>

namespace attn {

struct CsvTable {
    std::vector<std::string> header;             // empty when has_header is false
    std::vector<std::vector<std::string>> rows;  // (rows, fields)
    std::vector<long> line_of_row;               // 1-based line where each row starts (for errors)
};

// Parse CSV text; `path` names it in errors.
CsvTable parse_csv(const std::string& text, const std::string& path, bool has_header);

// Read (and gunzip if needed) a CSV file; validates UTF-8 first.
CsvTable read_csv(const std::string& path, bool has_header);

// Index of the header column `name`; error listing the available columns when absent.
int column(const CsvTable& table, const std::string& name, const std::string& path);

}  // namespace attn
