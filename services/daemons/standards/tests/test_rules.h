#pragma once

// A small hand-written rule set for engine and loader tests, independent of the shipped rules.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <memory>

#include "services/daemons/standards/engine/engine.h"
#include "services/daemons/standards/engine/loader.h"

namespace caselink::standards::testing {

inline const char* kFacts = R"yaml(facts:
  amount_yuan: {kind: number, unit: yuan, description: an amount}
  other_yuan: {kind: number, unit: yuan, description: another amount}
  months: {kind: number, unit: months, integer: true, description: months}
  tonnes: {kind: number, unit: tonnes, description: a weight}
  in_key_area: {kind: flag, description: a flag}
  category: {kind: text, description: a category}
  order_ignored: {kind: flag, procedural: true, description: an order to pay ignored}
  prior_penalties: {kind: number, unit: count, integer: true, procedural: true, description: earlier penalties}
  window_penalties: {kind: number, unit: count, integer: true, procedural: true, windowed: same_kind_penalty_count,
                     description: earlier penalties of the same kind within a window}
)yaml";

inline const char* kJurisdictions = R"yaml(provinces:
  "440000": 广东省
  "530000": 云南省
  "330000": 浙江省
city_tiers:
  gd.t1:
    province: "440000"
    name: tier one
    source: test
    cities: {"440100": 广州市}
  gd.t2:
    province: "440000"
    name: tier two
    source: test
    cities: {"440500": 汕头市}
)yaml";

// One offence "demo" with:
//   demo.amount   national range 5000..20000 over amount_yuan (all_of months >= 3), order_ignored required;
//                 Zhejiang 10000 from 2014-01-01; Guangdong tiers 20000 / 10000 from 2015-03-03.
//   demo.weight   national v1 2017-01-01..2023-08-14 (tonnes >= 3 or in_key_area);
//                 v2 from 2023-08-15 (tonnes >= 5 or in_key_area or category in {a, b}).
//   Yunnan demo.amount v5: filing-date anchor from 2013-08-01, not retroactive.
inline const char* kDemo = R"yaml(offence: demo
title: demo offence
statute: test
rules:
  - id: demo.amount
    version: 1
    jurisdiction: national
    effective_from: 2013-01-23
    legal_source: {document: national doc, article: art 3}
    confidence: high
    threshold:
      all_of:
        - {fact: months, gte: 3}
        - {fact: amount_yuan, gte_range: [5000, 20000]}
    requires:
      - {fact: order_ignored, is: true}
  - id: demo.amount
    version: 2
    jurisdiction: {province: "330000"}
    effective_from: 2014-01-01
    legal_source: {document: zhejiang doc, article: a}
    confidence: medium
    threshold:
      all_of:
        - {fact: months, gte: 3}
        - {fact: amount_yuan, gte: 10000}
    requires:
      - {fact: order_ignored, is: true}
  - id: demo.amount
    version: 3
    jurisdiction: {province: "440000", city_tier: gd.t1}
    effective_from: 2015-03-03
    legal_source: {document: guangdong doc, article: t1}
    confidence: high
    threshold:
      all_of:
        - {fact: months, gte: 3}
        - {fact: amount_yuan, gte: 20000}
    requires: [{fact: order_ignored, is: true}]
  - id: demo.amount
    version: 4
    jurisdiction: {province: "440000", city_tier: gd.t2}
    effective_from: 2015-03-03
    legal_source: {document: guangdong doc, article: t2}
    confidence: high
    threshold:
      all_of:
        - {fact: months, gte: 3}
        - {fact: amount_yuan, gte: 10000}
    requires: [{fact: order_ignored, is: true}]
  - id: demo.amount
    version: 5
    jurisdiction: {province: "530000"}
    effective_from: 2013-08-01
    anchor: filing_date
    retroactive_if_more_lenient: false
    legal_source: {document: yunnan doc, article: y}
    confidence: high
    threshold:
      all_of:
        - {fact: months, gte: 3}
        - {fact: amount_yuan, gte: 8000}
    requires: [{fact: order_ignored, is: true}]
  - id: demo.weight
    version: 1
    jurisdiction: national
    effective_from: 2017-01-01
    effective_to: 2023-08-14
    legal_source: {document: 2016 interpretation, article: art 1}
    confidence: high
    threshold:
      any_of:
        - {fact: tonnes, gte: 3, item: "(2)"}
        - {fact: in_key_area, is: true, item: "(1)"}
  - id: demo.weight
    version: 2
    jurisdiction: national
    effective_from: 2023-08-15
    legal_source: {document: 2023 interpretation, article: art 1}
    confidence: high
    threshold:
      any_of:
        - {fact: tonnes, gte: 5, item: "(2)"}
        - {fact: in_key_area, is: true, item: "(1)", confidence: unconfirmed, recall: true}
        - {fact: category, in: [a, b]}
        - sum:
            - {fact: amount_yuan, weight: 3}
            - {fact: other_yuan}
          gte: 150000
)yaml";

inline std::vector<RuleFile> demo_files() {
  return {{kFactCatalogue, kFacts}, {kJurisdictionCatalogue, kJurisdictions}, {"demo.yaml", kDemo}};
}

// An engine over the demo set plus one offence file of the test's own (null, and a test failure,
// when the set does not load).
inline std::unique_ptr<Engine> demo_engine_with(const std::string& path, const std::string& text) {
  auto files = demo_files();
  files.push_back({path, text});
  auto set = parse_rule_set(files);
  if (!set.ok()) {
    ADD_FAILURE() << set.error().message;
    return nullptr;
  }
  return std::make_unique<Engine>(std::make_shared<RuleSet>(std::move(*set)));
}

}  // namespace caselink::standards::testing
