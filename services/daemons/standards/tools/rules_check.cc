// standards-rules-check: validates a rule directory and runs the examples its files carry.
//   standards-rules-check [RULES_DIR]      (default: ./rules)
//   standards-rules-check --facts-md [RULES_DIR]   prints docs/facts.md (the fact catalogue)
//   standards-rules-check --facts-openapi RULES_DIR OPENAPI_FILE   prints OPENAPI_FILE with its
//       generated Fact schema (the same catalogue) replaced
// Exit 0 when every file is valid and every example passes, 1 otherwise, 2 on bad usage.
#include <fstream>
#include <iostream>
#include <sstream>

#include "services/daemons/standards/engine/engine.h"
#include "services/daemons/standards/engine/facts_doc.h"
#include "services/daemons/standards/engine/loader.h"

namespace {

// --facts-openapi RULES_DIR OPENAPI_FILE: the document with its Fact schema regenerated.
int print_facts_openapi(const std::string& rules_dir, const std::string& openapi_file) {
  using namespace caselink::standards;
  auto set = load_rule_set(rules_dir);
  if (!set.ok()) {
    std::cerr << set.error().message << "\n";
    return 1;
  }
  std::ifstream in(openapi_file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto spliced = splice_facts_openapi(text.str(), *set);
  if (!in || !spliced) {
    std::cerr << openapi_file << ": cannot read it, or it lacks the lines '" << kOpenApiFactsBegin << "' and '"
              << kOpenApiFactsEnd << "'\n";
    return 1;
  }
  std::cout << *spliced;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace caselink::standards;
  if (argc == 4 && std::string(argv[1]) == "--facts-openapi") {
    return print_facts_openapi(argv[2], argv[3]);
  }
  if (argc >= 2 && std::string(argv[1]) == "--facts-md") {
    auto set = load_rule_set(argc >= 3 ? argv[2] : "rules");
    if (!set.ok()) {
      std::cerr << set.error().message << "\n";
      return 1;
    }
    std::cout << facts_markdown(*set);
    return 0;
  }
  if (argc > 2 || (argc == 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help"))) {
    std::cerr << "usage: standards-rules-check [--facts-md] [RULES_DIR]\n"
                 "       standards-rules-check --facts-openapi RULES_DIR OPENAPI_FILE\n"
                 "Validates every rule file (rules/*.yaml, rules/catalogue/*.yaml) and runs their examples.\n";
    return 2;
  }
  const std::string dir = argc == 2 ? argv[1] : "rules";
  auto set = load_rule_set(dir);
  if (!set.ok()) {
    std::cerr << "invalid rule set in " << dir << ":\n" << set.error().message << "\n";
    return 1;
  }
  std::cout << "rule set " << set->version << ": " << set->offences.size() << " offences, " << set->rules.size()
            << " rules, " << set->catalogue.facts.size() << " facts, " << set->examples.size() << " examples\n";
  for (const auto& [code, offence] : set->offences) {
    std::cout << "  " << code << " (" << offence.title << "):";
    for (const auto& id : offence.lineages) {
      std::cout << " " << id << "[" << set->by_id.at(id).size() << "]";
    }
    std::cout << "\n";
  }
  const auto failures = run_examples(*set);
  for (const auto& f : failures) {
    std::cerr << "FAIL " << f << "\n";
  }
  if (!failures.empty()) {
    std::cerr << failures.size() << " of " << set->examples.size() << " examples failed\n";
    return 1;
  }
  std::cout << "all " << set->examples.size() << " examples pass\n";
  return 0;
}
