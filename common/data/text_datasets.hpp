// text_datasets.hpp — labelled short texts for the classification chapters.
//
// AG News (Zhang, Zhao & LeCun 2015), in either layout, detected from the first line:
//   Made With ML subset: header `y,X`, class names  ->  y = Business | Sci/Tech | Sports | World
//   official train.csv / test.csv: no header, "class","title","description" with class 1..4
// Both map to the official label order: World=0, Sports=1, Business=2, Sci/Tech=3.
// AG's text carries escapes from its crawl, undone by clean_ag_text():
//   `\$` -> `$`;  any other `\` (AG's line break) -> a space;
//   ` #39;` -> `'`,  ` quot;` -> `"`,  `&lt;` `&gt;` `&amp;` -> < > &   (the `&` of these HTML
//   entities was turned into a space by the crawl, so " #39;s" is "'s").
//
// Twitter US Airline Sentiment (Kaggle layout): columns `airline_sentiment` and `text`, found by
// header name; labels negative=0, neutral=1, positive=2.
//
// The text is kept as written (case, punctuation); chapters tokenise it with normalize_sentence().
#pragma once
#include <string>

#include "common/data/data_types.hpp"

namespace attn {

std::string clean_ag_text(const std::string& s);

// with_description: for the official layout, append the description to the title.
TextSet load_ag_news_csv(const std::string& path, bool with_description = false);

TextSet load_airline_tweets(const std::string& path);

}  // namespace attn
