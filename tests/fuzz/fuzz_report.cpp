// Fuzzes what `report`, `compare`, `merge` and `--resume` read: the same bytes as a report (.json)
// and as a per-case log (.jsonl), then, for what was accepted, the merge (which re-parses the
// embedded spec), the comparison of the file with itself, the JSON written back, and the tables
// `run` and `report` print (every view in every format). The contract:
// results or a UsageError; no other exception, crash, leak, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "fuzz_file.hpp"
#include "report/compare.hpp"
#include "report/merge.hpp"
#include "report/report_inputs.hpp"
#include "report/summary_table.hpp"
#include "report/views.hpp"

namespace {

void exercise(const std::string& path) {
  try {
    const attn::ResultsFile f = attn::load_results_file(path);
    const attn::MergeOutcome merged = attn::merge_results({f, f});
    (void)attn::to_json(merged.report).dump();
    attn::CompareOptions options;
    options.lenient = true;
    const attn::Comparison c = attn::compare_reports(f.report, merged.report, options);
    (void)attn::comparison_json(c, options).dump();
    (void)attn::comparison_table(c, false);
    // What `attnbench run` prints and `attnbench report` renders from the same records.
    (void)attn::summary_table(merged.report.results);
    for (const char* view : {"summary", "pareto", "crossover"}) {
      const attn::Table t = attn::report_view(view, merged.report.results);
      for (auto format : {attn::TableFormat::md, attn::TableFormat::csv, attn::TableFormat::latex, attn::TableFormat::json})
        (void)attn::render_table(t, format);
    }
  } catch (const attn::UsageError& e) {  // IncompatibleBaseline included
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();  // one line
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exercise(attn::fuzz::scratch().write("input.json", data, size));
  exercise(attn::fuzz::scratch().write("input.jsonl", data, size));
  return 0;
}
