// report tables: pivots, filters, views and their renderings, on hand-made records. The pivot's
// md/csv/latex output is checked against golden files in tests/golden/ (regenerate with
// ATTNBENCH_UPDATE_GOLDEN=1 after an intended change, and review the diff).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "report/tables_filter.hpp"
#include "report/tables_pivot.hpp"
#include "report/views.hpp"
#include "support/report_fixtures.hpp"

namespace attn {
namespace {

using test::make_record;

// exact and flash at N = 1024 and 4096; performer rank=64 over two seeds (errors 0.10 and 0.12);
// local sparsity=0.9 skipped at 1024.
std::vector<CaseResult> fixture() {
  return {
      make_record({.method = "exact", .n = 1024, .samples = {8, 8, 8}, .rel_fro = 2e-7, .peak_bytes = 4 << 20}),
      make_record({.method = "exact", .n = 4096, .samples = {128, 128, 128}, .rel_fro = 3e-7, .peak_bytes = 64 << 20}),
      make_record({.method = "flash", .n = 1024, .samples = {10, 10, 10}, .rel_fro = 2e-7, .peak_bytes = 1 << 18}),
      make_record({.method = "flash", .n = 4096, .samples = {100, 100, 100}, .rel_fro = 3e-7, .peak_bytes = 1 << 18}),
      make_record({.method = "performer", .n = 1024, .seed = 0, .samples = {12, 12, 12}, .rel_fro = 0.10, .rank = 64}),
      make_record({.method = "performer", .n = 1024, .seed = 1, .samples = {12, 12, 12}, .rel_fro = 0.12, .rank = 64}),
      make_record({.method = "performer", .n = 4096, .seed = 0, .samples = {40, 40, 40}, .rel_fro = 0.11, .rank = 64}),
      make_record({.method = "performer", .n = 4096, .seed = 1, .samples = {50, 50, 50}, .rel_fro = 0.13, .rank = 64}),
      make_record({.method = "local", .n = 1024, .status = "skipped", .sparsity = 0.9}),
      make_record({.method = "local", .n = 4096, .samples = {30, 30, 30}, .rel_fro = 0.5, .sparsity = 0.9}),
  };
}

std::string golden_path(const std::string& name) { return std::string(ATTNBENCH_SOURCE_DIR) + "/tests/golden/" + name; }

void expect_golden(const std::string& name, const std::string& text) {
  if (std::getenv("ATTNBENCH_UPDATE_GOLDEN")) {
    std::ofstream(golden_path(name)) << text;
    return;
  }
  std::ifstream in(golden_path(name));
  ASSERT_TRUE(in) << "missing golden file " << golden_path(name) << " (run with ATTNBENCH_UPDATE_GOLDEN=1)";
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(text, s.str()) << "golden " << name << " differs; rendered:\n" << text;
}

Table rel_fro_pivot() {
  return pivot_table(fixture(), {.rows = {"config"}, .cols = {"N"}, .value = "rel_fro"});
}

TEST(ReportTables, PivotAggregatesSeedsAndShowsStatuses) {
  const Table t = rel_fro_pivot();
  ASSERT_EQ(t.columns, (std::vector<std::string>{"config", "N=1024", "N=4096"}));
  ASSERT_EQ(t.rows.size(), 4u);  // exact, flash, performer, local: first-appearance order
  EXPECT_EQ(t.rows[2][0].text, "performer rank=64");
  EXPECT_NEAR(*t.rows[2][1].value, 0.11, 1e-15);          // mean over seeds
  EXPECT_NEAR(*t.rows[2][1].spread, 0.014142135623730963, 1e-12);  // sample std
  EXPECT_EQ(t.rows[2][1].count, 2);
  EXPECT_EQ(t.rows[3][1].text, "skipped");
  EXPECT_NEAR(*t.rows[3][2].value, 0.5, 1e-15);
}

TEST(ReportTables, GoldenMarkdownCsvLatex) {
  const Table t = rel_fro_pivot();
  expect_golden("pivot_rel_fro.md", render_table(t, TableFormat::md));
  expect_golden("pivot_rel_fro.csv", render_table(t, TableFormat::csv));
  expect_golden("pivot_rel_fro.tex", render_table(t, TableFormat::latex));
}

// A minimal RFC 4180 reader: what "parses with any CSV reader" means.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') cell += '"', ++i;
      else if (ch == '"') quoted = false;
      else cell += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      rows.back().push_back(cell), cell.clear();
    } else if (ch == '\n') {
      rows.back().push_back(cell), cell.clear();
      rows.emplace_back();
    } else {
      cell += ch;
    }
  }
  rows.pop_back();  // after the final newline
  return rows;
}

TEST(ReportTables, CsvParsesWithNumbersAndStdColumns) {
  Table t = rel_fro_pivot();
  t.rows[0][0].text = "has, comma \"and quotes\"";
  const auto rows = parse_csv(render_table(t, TableFormat::csv));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"config", "N=1024", "N=1024_std", "N=4096", "N=4096_std"}));
  for (const auto& r : rows) EXPECT_EQ(r.size(), 5u);
  EXPECT_EQ(rows[1][0], "has, comma \"and quotes\"");
  EXPECT_NEAR(std::stod(rows[3][1]), 0.11, 1e-15);
  EXPECT_NEAR(std::stod(rows[3][2]), 0.014142135623730963, 1e-12);
  EXPECT_EQ(rows[4][1], "skipped");
}

TEST(ReportTables, LatexUsesBooktabsAndEscapes) {
  Table t = rel_fro_pivot();
  t.rows[0][0].text = "a_b & 50% #1";
  const std::string tex = render_table(t, TableFormat::latex);
  EXPECT_NE(tex.find("\\begin{tabular}{lrr}"), std::string::npos) << tex;
  for (const char* rule : {"\\toprule", "\\midrule", "\\bottomrule"}) EXPECT_NE(tex.find(rule), std::string::npos);
  EXPECT_NE(tex.find("a\\_b \\& 50\\% \\#1"), std::string::npos) << tex;
  EXPECT_NE(tex.find("$\\pm$"), std::string::npos);
}

TEST(ReportTables, MarkdownRightAlignsNumbersAndEscapesPipes) {
  Table t = rel_fro_pivot();
  t.rows[0][0].text = "a|b";
  const std::string md = render_table(t, TableFormat::md);
  EXPECT_NE(md.find("a\\|b"), std::string::npos);
  EXPECT_NE(md.find("-: |"), std::string::npos);  // numeric columns right-aligned
  EXPECT_NE(md.find("0.11 \xC2\xB1 0.014"), std::string::npos) << md;
}

TEST(ReportTables, JsonCellsKeepMeanStdAndCount) {
  const auto j = nlohmann::json::parse(render_table(rel_fro_pivot(), TableFormat::json));
  EXPECT_EQ(j["rows"][2]["config"], "performer rank=64");
  EXPECT_NEAR(j["rows"][2]["N=1024"]["mean"].get<double>(), 0.11, 1e-15);
  EXPECT_EQ(j["rows"][2]["N=1024"]["n"], 2);
  EXPECT_EQ(j["rows"][0]["N=1024"], 2e-7);
  EXPECT_EQ(j["rows"][3]["N=1024"], "skipped");
}

TEST(ReportTables, DimensionsThatVaryInsideACellSplitTheRows) {
  auto recs = fixture();
  auto local_input = make_record({.method = "exact", .n = 1024, .samples = {9, 9, 9}, .distribution = "local"});
  recs.push_back(local_input);
  const Table t = pivot_table(recs, {.rows = {"method"}, .cols = {"N"}});
  EXPECT_EQ(t.columns[1], "input");  // added, not averaged
  ASSERT_EQ(t.notes.size(), 1u);
  EXPECT_NE(t.notes[0].find("input"), std::string::npos);
  // rows=method alone also splits by budget when a method has several.
  recs.push_back(make_record({.method = "performer", .n = 1024, .rel_fro = 0.05, .rank = 128}));
  const Table u = pivot_table(recs, {.rows = {"method"}, .cols = {"N"}});
  EXPECT_EQ(u.columns[1], "budget");
}

TEST(ReportTables, ConfigNamesOnlyTheParametersThatTellConfigurationsApart) {
  std::vector<CaseResult> recs;
  for (int64_t n : {64, 97})
    for (const char* variant : {"sliding", "blocks"})
      recs.push_back(make_record({.method = "local", .n = n, .sparsity = 0.5,
                                  .params = {{"variant", variant}, {"window", n / 4}, {"block", n / 2}}}));
  const RecordLabels labels(recs);
  EXPECT_EQ(labels.config(recs[0]), "local sparsity=0.5 variant=sliding");
  EXPECT_EQ(labels.config(recs[3]), "local sparsity=0.5 variant=blocks");
}

TEST(ReportTables, FilterExpressions) {
  const auto recs = fixture();
  EXPECT_EQ(filter_records(recs, {"method=performer"}).size(), 4u);
  EXPECT_EQ(filter_records(recs, {"method~^(exact|flash)$,N>=4096"}).size(), 2u);
  EXPECT_EQ(filter_records(recs, {"rel_fro<0.115"}).size(), 6u);  // exact x2, flash x2, performer 0.10 and 0.11
  EXPECT_EQ(filter_records(recs, {"status!=ok"}).size(), 1u);
  EXPECT_EQ(filter_records(recs, {"method!~perf", "seed=0"}).size(), 6u);
  EXPECT_THROW(filter_records(recs, {"nokey=3"}), UsageError);
  EXPECT_THROW(filter_records(recs, {"method"}), UsageError);
  EXPECT_THROW(filter_records(recs, {"method~("}), UsageError);
  EXPECT_THROW(pivot_table(recs, {.value = "speed"}), UsageError);
}

TEST(ReportViews, SummarySpeedupsAgainstExactAndFlash) {
  const Table t = summary_view(fixture());
  const auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(t.columns.begin(), t.columns.end(), name) - t.columns.begin());
  };
  // performer at N=4096: median of per-seed medians (40, 50) = 45 ms; exact 128 -> 2.844x, flash 100 -> 2.222x.
  for (const auto& row : t.rows) {
    if (row[0].text != "performer rank=64" || *row[col("N")].value != 4096) continue;
    EXPECT_NEAR(*row[col("median ms")].value, 45, 1e-12);
    EXPECT_NEAR(*row[col("speed-up vs exact")].value, 128.0 / 45, 1e-12);
    EXPECT_NEAR(*row[col("speed-up vs flash")].value, 100.0 / 45, 1e-12);
    EXPECT_NEAR(*row[col("rel_fro")].value, 0.12, 1e-12);
    return;
  }
  FAIL() << "no performer row at N=4096";
}

TEST(ReportViews, ParetoListsExactlyTheNonDominatedConfigurations) {
  const Table t = pareto_view(fixture());
  std::vector<std::string> at4096;
  for (const auto& row : t.rows)
    if (row[1].value && *row[1].value == 4096) at4096.push_back(row[2].text + ":" + row.back().text);
  // N=4096: local (0.5, 30 ms, 1 MiB) fastest; performer (0.12, 45 ms, 1 MiB); flash (3e-7, 100 ms,
  // 0.25 MiB) is more accurate and smaller than both, so they are on the time front only; exact
  // (3e-7, 128 ms, 64 MiB) is dominated by flash on both: not listed.
  EXPECT_EQ(at4096, (std::vector<std::string>{"local sparsity=0.9:time", "performer rank=64:time", "flash:time, memory"}));
}

TEST(ReportViews, CrossoverFindsTheSmallestSustainedN) {
  const Table t = crossover_view(fixture());
  for (const auto& row : t.rows) {
    if (row[0].text == "performer rank=64") {
      EXPECT_EQ(row[3].value, 4096.0);  // slower than flash at 1024 (12 > 10), faster at 4096
      EXPECT_EQ(row[4].value, 4096.0);  // slower than exact at 1024 (12 > 8)
    }
    if (row[0].text == "exact") EXPECT_EQ(row[3].text, "never");  // 8 < 10 ms at 1024, but 128 > 100 at 4096
    if (row[0].text == "flash") EXPECT_EQ(row[4].value, 4096.0);   // slower than exact at 1024, faster at 4096
    if (row[0].text == "local sparsity=0.9") EXPECT_EQ(row[3].text, "\xE2\x89\xA4" "4096");  // only N timed
  }
}

TEST(ReportViews, UnknownViewIsAUsageError) { EXPECT_THROW(report_view("nope", fixture()), UsageError); }

}  // namespace
}  // namespace attn
