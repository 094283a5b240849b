// attnbench report FILE...: tables from one or more reports (or JSONL logs): a pivot of one metric
// over row and column keys, or a built-in view (summary, pareto, crossover), as Markdown, CSV,
// LaTeX or JSON.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "report/report_inputs.hpp"
#include "report/tables_filter.hpp"
#include "report/tables_pivot.hpp"
#include "report/views.hpp"

namespace attn::cli {

namespace {

std::vector<std::string> split_keys(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = s.find(',', start);
    const std::string part = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!part.empty()) out.push_back(part);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

Action add_report_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "Tables from reports: pivots of a metric, summary, Pareto fronts, crossovers");
  struct Args {
    std::vector<std::string> files;
    std::string format = "md", rows = "config", cols = "N", value = "median_ms", agg = "mean", view;
    std::vector<std::string> filters;
    int digits = 4;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("files", a->files, "Report files (.json) or per-case logs (.jsonl)")->required();
  cmd->add_option("--format", a->format, "md (default), csv, latex (booktabs) or json");
  cmd->add_option("--rows", a->rows, "Row keys, comma-separated (default config). Keys: " + join(record_key_names()));
  cmd->add_option("--cols", a->cols, "Column keys, comma-separated (default N)");
  cmd->add_option("--value", a->value, "Metric in the cells (default median_ms). Metrics: " + join(metric_names()));
  cmd->add_option("--agg", a->agg, "How seeds in one cell combine: mean (shown mean ± std, default), median, min, max");
  cmd->add_option("--filter", a->filters,
                  "Keep records where every term holds: KEY OP VALUE[,...], OP one of = != < <= > >= ~ !~ "
                  "(e.g. 'method~^(flash|performer)$,N>=1024'); repeatable");
  cmd->add_option("--view", a->view, "A built-in view instead of a pivot: summary, pareto, crossover")
      ->check(CLI::IsMember({"summary", "pareto", "crossover"}));
  cmd->add_option("--digits", a->digits, "Significant digits in md and latex (default 4)")->check(CLI::Range(1, 17));
  cmd->footer("Exit codes: 0 table printed; 2 usage or input error (unreadable file, other schema version, no records).");
  return [a]() {
    const TableFormat format = parse_table_format(a->format);
    const auto all = load_records(a->files);
    const auto records = filter_records(all, a->filters);
    if (records.empty())
      throw UsageError(all.empty() ? "report: the files hold no results" : "report: --filter left no results");
    Table table;
    if (!a->view.empty()) {
      table = report_view(a->view, records);
    } else {
      PivotOptions o{.rows = split_keys(a->rows), .cols = split_keys(a->cols), .value = a->value, .agg = a->agg};
      table = pivot_table(records, o);
    }
    table.digits = a->digits;
    fmt::print("{}", render_table(table, format));
    return kExitOk;
  };
}

const CommandRegistration kRegistration{50, add_report_command};
}  // namespace

}  // namespace attn::cli
