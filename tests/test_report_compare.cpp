// compare on hand-made reports with known answers: what must block, what must not.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/compare.hpp"
#include "support/report_fixtures.hpp"

namespace attn {
namespace {

using test::make_record;
using test::make_report;
using test::samples_around;

Comparison run(const std::vector<CaseResult>& base, const std::vector<CaseResult>& fresh, CompareOptions o = {}) {
  return compare_reports(make_report(base), make_report(fresh), o);
}

TEST(Compare, NoiseOnlyPairPasses) {
  // Same distribution, samples interleaved: medians within 1%, U test far from significant.
  const auto a = samples_around(5.0, 10, 0.03);
  std::vector<double> b;
  for (double x : a) b.push_back(x * 1.004);
  const auto c = run({make_record({.samples = a})}, {make_record({.samples = b})});
  ASSERT_EQ(c.cases.size(), 1u);
  EXPECT_EQ(c.cases[0].verdict, Verdict::same);
  EXPECT_GT(c.cases[0].time->p_value, 0.5);
  EXPECT_EQ(c.exit_code(), 0);
}

TEST(Compare, ThirtyPercentSlowdownWithTenSamplesFails) {
  const auto a = samples_around(5.0), b = samples_around(6.5);
  const auto c = run({make_record({.samples = a})}, {make_record({.samples = b})});
  EXPECT_EQ(c.cases[0].verdict, Verdict::regressed);
  EXPECT_NEAR(c.cases[0].time->ratio, 1.3, 1e-9);
  EXPECT_LT(c.cases[0].time->p_value, 1e-4);  // complete separation: 2 / C(20, 10)
  EXPECT_EQ(c.regressions, 1);
  EXPECT_EQ(c.exit_code(), 1);
  EXPECT_NEAR(*c.geomean_time_ratio, 1.3, 1e-9);
}

TEST(Compare, TwentyPercentSlowdownIsFlaggedAndTheSameAsImprovementReversed) {
  const auto a = samples_around(5.0), b = samples_around(6.0);
  EXPECT_EQ(run({make_record({.samples = a})}, {make_record({.samples = b})}).exit_code(), 1);
  const auto back = run({make_record({.samples = b})}, {make_record({.samples = a})});
  EXPECT_EQ(back.cases[0].verdict, Verdict::improved);
  EXPECT_EQ(back.exit_code(), 0);
}

TEST(Compare, SameMediansOrOverlappingSamplesAreNotFlagged) {
  // A 20% higher median whose samples overlap widely (with ties): U test p = 0.343 (SciPy asymptotic).
  const std::vector<double> base = {5, 6, 7, 8, 9, 11, 12, 13, 14, 15}, fresh = {6, 7, 8, 9, 11, 13, 14, 15, 16, 17};
  const auto c = run({make_record({.samples = base})}, {make_record({.samples = fresh})});
  EXPECT_NEAR(c.cases[0].time->ratio, 1.2, 1e-12);
  EXPECT_NEAR(c.cases[0].time->p_value, 0.3432486410104163, 1e-12);
  EXPECT_EQ(c.cases[0].verdict, Verdict::same);
  // The same median with a wider spread: ratio 1, nothing to flag.
  const auto wide = run({make_record({.samples = samples_around(5.0)})},
                        {make_record({.samples = samples_around(5.0, 10, 0.2)})});
  EXPECT_EQ(wide.exit_code(), 0);
}

TEST(Compare, ThresholdAndFloorBothApply) {
  const auto a = samples_around(5.0), b = samples_around(5.4);  // +8%: under the 10% threshold
  EXPECT_EQ(run({make_record({.samples = a})}, {make_record({.samples = b})}).exit_code(), 0);
  CompareOptions o;
  o.time_threshold = 0.05;
  EXPECT_EQ(run({make_record({.samples = a})}, {make_record({.samples = b})}, o).exit_code(), 1);
  o.time_floor_ms = 1.0;  // a 0.4 ms difference is under a 1 ms floor
  EXPECT_EQ(run({make_record({.samples = a})}, {make_record({.samples = b})}, o).exit_code(), 0);
}

TEST(Compare, FewRepetitionsWarnAndCannotProveASlowdown) {
  const auto c = run({make_record({.samples = {1.0, 1.01, 1.02}})}, {make_record({.samples = {2.0, 2.01, 2.02}})});
  EXPECT_EQ(c.exit_code(), 0);  // p = 0.1 at best with 3 + 3 samples
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_NE(c.warnings.back().find("repetitions"), std::string::npos);
}

TEST(Compare, StatusChangeFromOkBlocks) {
  const auto c = run({make_record({})}, {make_record({.status = "oom"})});
  EXPECT_EQ(c.cases[0].verdict, Verdict::regressed);
  EXPECT_NE(c.cases[0].regressions[0].find("ok -> oom"), std::string::npos);
  EXPECT_EQ(c.exit_code(), 1);
  // The other way is an improvement; skipped -> unsupported is a note only.
  EXPECT_EQ(run({make_record({.status = "timeout"})}, {make_record({})}).cases[0].verdict, Verdict::improved);
  const auto note = run({make_record({.status = "skipped"})}, {make_record({.status = "unsupported"})});
  EXPECT_EQ(note.exit_code(), 0);
  EXPECT_EQ(note.cases[0].notes.size(), 1u);
}

TEST(Compare, ErrorIncreaseBlocksEvenWithoutTimeGate) {
  CompareOptions o;
  o.gate_time = false;
  const auto c = run({make_record({.method = "performer", .rel_fro = 0.10, .rank = 64})},
                     {make_record({.method = "performer", .rel_fro = 0.12, .rank = 64})}, o);
  EXPECT_EQ(c.cases[0].verdict, Verdict::regressed);
  EXPECT_EQ(c.exit_code(), 1);
  // Within tolerance (+3% < 5%), and changes under the noise floor for exact kernels: no block.
  EXPECT_EQ(run({make_record({.rel_fro = 0.10})}, {make_record({.rel_fro = 0.103})}, o).exit_code(), 0);
  EXPECT_EQ(run({make_record({.rel_fro = 1e-7})}, {make_record({.rel_fro = 1.9e-7})}, o).exit_code(), 0);
}

TEST(Compare, MemoryGrowthBlocks) {
  const auto c = run({make_record({.peak_bytes = 1 << 20})}, {make_record({.peak_bytes = (1 << 20) + (1 << 18)})});
  EXPECT_EQ(c.exit_code(), 1);
  EXPECT_EQ(run({make_record({.peak_bytes = 1 << 20})}, {make_record({.peak_bytes = (1 << 20) + 1000})}).exit_code(), 0);
}

TEST(Compare, DifferentMachinesAreRefusedUnlessLenient) {
  const auto base = make_report({make_record({.samples = samples_around(5.0)})}, "CPU A");
  const auto fresh = make_report({make_record({.samples = samples_around(9.0), .rel_fro = 1e-7})}, "CPU B");
  EXPECT_THROW(compare_reports(base, fresh, {}), IncompatibleBaseline);
  CompareOptions o;
  o.lenient = true;
  const auto c = compare_reports(base, fresh, o);
  EXPECT_FALSE(c.time_gated);
  EXPECT_EQ(c.exit_code(), 0);  // +80% time is not gated across machines
  // ...but error still is.
  const auto worse = make_report({make_record({.rel_fro = 1e-3})}, "CPU B");
  EXPECT_EQ(compare_reports(make_report({make_record({.rel_fro = 1e-4})}, "CPU A"), worse, o).exit_code(), 1);
}

TEST(Compare, DifferentThreadCountsDoNotGateTime) {
  const auto c = compare_reports(make_report({make_record({.samples = samples_around(5.0)})}, "CPU", 2),
                                 make_report({make_record({.samples = samples_around(9.0)})}, "CPU", 1), {});
  EXPECT_FALSE(c.time_gated);
  EXPECT_EQ(c.exit_code(), 0);
}

TEST(Compare, NoCommonCaseIsIncompatibleAndMissingCasesAreReported) {
  EXPECT_THROW(run({make_record({.n = 64})}, {make_record({.n = 128})}), IncompatibleBaseline);
  const auto c = run({make_record({.n = 64}), make_record({.n = 128})}, {make_record({.n = 64})});
  EXPECT_EQ(c.only_in_base.size(), 1u);
  EXPECT_EQ(c.exit_code(), 0);
  CompareOptions o;
  o.fail_missing = true;
  EXPECT_EQ(run({make_record({.n = 64}), make_record({.n = 128})}, {make_record({.n = 64})}, o).exit_code(), 1);
}

TEST(Compare, JsonVerdictsAndTable) {
  const auto c = run({make_record({.samples = samples_around(5.0)}), make_record({.n = 2048})},
                     {make_record({.samples = samples_around(7.0)}), make_record({.n = 2048, .status = "crash"})});
  const auto j = comparison_json(c, {});
  EXPECT_EQ(j["schema"], "attnbench.compare/1");
  EXPECT_FALSE(j["pass"].get<bool>());
  EXPECT_EQ(j["summary"]["regressed"], 2);
  EXPECT_EQ(j["cases"][0]["verdict"], "regressed");
  EXPECT_GT(j["cases"][0]["time"]["ratio"].get<double>(), 1.3);
  const std::string table = comparison_table(c, false);
  EXPECT_NE(table.find("REGRESSED exact/gaussian/N=2048"), std::string::npos) << table;
  EXPECT_NE(table.find("geomean: time +40.0%"), std::string::npos) << table;
  EXPECT_NE(table.find("FAIL"), std::string::npos);
}

}  // namespace
}  // namespace attn
