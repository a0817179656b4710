// In-process rule evaluation over the shipped rule set (rules/): assessments per second.
//   BM_Assess/<offence>       engine only, one offence, a corpus of generated cases
//   BM_AssessMixed            engine only, all seven offences interleaved
//   BM_AssessLenient          engine only, acts before a replaced version (two versions evaluated)
//   BM_HandlerPenaltyRecord   decode envelope + map + assess + encode assessment (+ clue), the
//                             per-record work of the service without Kafka
//   BM_LoadRuleSet            parse and validate the whole rule directory (the SIGHUP reload cost)
#include <benchmark/benchmark.h>

#include <random>

#include "services/lib/envelope/codec.h"
#include "services/lib/envelope/topics.h"
#include "services/lib/logging/logging.h"
#include "services/daemons/standards/engine/engine.h"
#include "services/daemons/standards/engine/loader.h"
#include "services/daemons/standards/handler.h"

namespace caselink::standards {
namespace {

std::shared_ptr<const RuleSet> rules() {
  static auto set = [] {
    auto loaded = load_rule_set(CASELINK_RULES_DIR);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
      std::abort();
    }
    return std::make_shared<const RuleSet>(std::move(*loaded));
  }();
  return set;
}

const char* kProvinces[] = {"330000", "440000", "530000", "500000", "320000", "510000", "210000", ""};
const char* kGuangdongCities[] = {"440100", "440300", "440500", "441900", ""};

// Random facts for every fact the offence's rules read, around their figures: about a third
// meet, a third fall below, a third lack a fact.
std::vector<CaseFacts> corpus(const std::string& offence, size_t n, uint32_t seed, int act_year_from = 2019) {
  const RuleSet& set = *rules();
  std::vector<std::string> names;
  for (const auto& id : set.offences.at(offence).lineages) {
    for (size_t i : set.by_id.at(id)) {
      set.rules[i].threshold.collect_facts(&names);
      if (set.rules[i].procedural) {
        set.rules[i].procedural->collect_facts(&names);
      }
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<CaseFacts> out;
  for (size_t k = 0; k < n; ++k) {
    CaseFacts c;
    c.offence = offence;
    c.jurisdiction.province = kProvinces[rng() % std::size(kProvinces)];
    if (c.jurisdiction.province == "440000") {
      c.jurisdiction.city = kGuangdongCities[rng() % std::size(kGuangdongCities)];
    }
    c.act_date = Date::from_ymd(act_year_from + static_cast<int>(rng() % 5), 1 + rng() % 12, 1 + rng() % 28);
    for (const auto& name : names) {
      if (unit(rng) < 0.1) {
        continue;  // missing
      }
      const FactSpec* spec = set.catalogue.fact(name);
      if (spec->kind == FactKind::kFlag) {
        c.facts[name] = unit(rng) < 0.3;
      } else if (spec->kind == FactKind::kText) {
        c.facts[name] = std::string(unit(rng) < 0.5 ? "permanent_basic_farmland" : "other_forest_land");
      } else {
        // Scale so that thresholds from 1 to 1,000,000 are hit sometimes.
        const double magnitude = std::pow(10.0, static_cast<int>(rng() % 7));
        c.facts[name] = std::floor(unit(rng) * 3 * magnitude);
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

const std::vector<std::string> kOffences = {"pollution_environment", "wage_arrears", "fake_products",
                                            "farmland_occupation",   "major_liability_accident", "fraud",
                                            "tax_evasion"};

void BM_Assess(benchmark::State& state) {
  const std::string& offence = kOffences[static_cast<size_t>(state.range(0))];
  state.SetLabel(offence);
  Engine engine(rules());
  const auto cases = corpus(offence, 4096, 7);
  const Date as_of = Date::from_ymd(2024, 6, 1);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine.assess(cases[i++ & 4095], as_of));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Assess)->DenseRange(0, 6);

void BM_AssessMixed(benchmark::State& state) {
  Engine engine(rules());
  std::vector<CaseFacts> cases;
  for (size_t o = 0; o < kOffences.size(); ++o) {
    auto part = corpus(kOffences[o], 1024, 11 + static_cast<uint32_t>(o));
    cases.insert(cases.end(), part.begin(), part.end());
  }
  std::shuffle(cases.begin(), cases.end(), std::mt19937(3));
  const Date as_of = Date::from_ymd(2024, 6, 1);
  std::array<size_t, 4> outcomes{};
  size_t i = 0;
  for (auto _ : state) {
    auto a = engine.assess(cases[i++ % cases.size()], as_of);
    ++outcomes[static_cast<size_t>(a.outcome)];
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  const double total = static_cast<double>(state.iterations());
  state.counters["meets"] = static_cast<double>(outcomes[2]) / total;
  state.counters["below"] = static_cast<double>(outcomes[0]) / total;
  state.counters["insufficient"] = static_cast<double>(outcomes[1]) / total;
}
BENCHMARK(BM_AssessMixed);

// Acts in 2020-2022 assessed in 2024: pollution (2016 vs 2023), tax (2010 vs 2022) and the
// accident figures (2008 vs 2015) are evaluated twice for the more-lenient comparison.
void BM_AssessLenient(benchmark::State& state) {
  Engine engine(rules());
  std::vector<CaseFacts> cases;
  for (const char* offence : {"pollution_environment", "tax_evasion"}) {
    auto part = corpus(offence, 2048, 5, 2020);
    cases.insert(cases.end(), part.begin(), part.end());
  }
  const Date as_of = Date::from_ymd(2024, 6, 1);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine.assess(cases[i++ % cases.size()], as_of));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_AssessLenient);

void BM_HandlerPenaltyRecord(benchmark::State& state) {
  (void)logging::init({"warn", "text", "standards-bench"});  // one info line per clue otherwise
  SystemClock clock;
  Settings settings;
  settings.dedup_capacity = 0;  // every record is new
  StandardsHandler handler(settings, rules(), nullptr, clock, nullptr, nullptr);
  std::vector<ConsumedRecord> records;
  std::mt19937 rng(1);
  for (int k = 0; k < 1024; ++k) {
    v1::Envelope env = envelope::make_envelope(CaseId("env-330100-" + std::to_string(k)), AgencyId("sthjj-330100"),
                                               clock.now(), clock.now());
    auto* p = env.mutable_administrative_penalty_reported();
    p->set_decision_number("杭环罚〔2024〕" + std::to_string(k) + "号");
    p->set_report_context(v1::PENALTY_REPORT_CONTEXT_ROUTINE_SCREENING);
    p->set_outcome(v1::PENALTY_OUTCOME_IMPOSED);
    p->set_offence_code("pollution_environment");
    p->mutable_jurisdiction()->set_province_code("330000");
    p->mutable_jurisdiction()->set_city_code("330100");
    p->set_act_date("2024-03-01");
    v1::Fact* f = p->add_facts();
    f->set_name("hazardous_waste_tonnes");
    f->set_number(static_cast<double>(rng() % 60) / 10.0);  // half of them over 3 t
    f->set_unit("t");
    envelope::seal(env);
    ConsumedRecord r;
    r.topic = envelope::topics::kAdminPenalty;
    r.key = env.case_id();
    r.value = envelope::encode(env);
    records.push_back(std::move(r));
  }
  size_t i = 0;
  int64_t outputs = 0;
  for (auto _ : state) {
    auto result = handler.handle(records[i++ & 1023]);
    outputs += static_cast<int64_t>(result.outputs.size());
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["outputs_per_record"] = static_cast<double>(outputs) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_HandlerPenaltyRecord);

void BM_LoadRuleSet(benchmark::State& state) {
  for (auto _ : state) {
    auto set = load_rule_set(CASELINK_RULES_DIR);
    benchmark::DoNotOptimize(set);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LoadRuleSet)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace caselink::standards

BENCHMARK_MAIN();
