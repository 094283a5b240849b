// A rendered-format-neutral table and its four renderings (`attnbench report --format`):
//  md     GitHub-flavoured Markdown, columns padded so the raw text reads as a table too;
//  csv    RFC 4180 (quoted where needed); a cell that aggregates several records (mean +- std over
//         seeds) becomes two columns, `X` and `X_std`, so every cell parses as a number;
//  latex  a booktabs `tabular` (\toprule, \midrule, \bottomrule), text escaped;
//  json   {"title", "columns", "rows": [{column: value}], "notes"}, an aggregate as {"mean","std","n"}.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attn {

struct Cell {
  std::optional<double> value;   // a number (the mean when the cell aggregates several records)
  std::optional<double> spread;  // std over the aggregated records (only with count > 1)
  int count = 0;                 // records aggregated (0 for plain text or a single number)
  std::string text;              // shown instead of the number when set (labels, statuses, "never")

  static Cell label(std::string s) { return Cell{.text = std::move(s)}; }
  static Cell number(double v) { return Cell{.value = v}; }
  static Cell empty() { return Cell{}; }
};

struct Table {
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;  // each row has columns.size() cells
  std::vector<std::string> notes;       // printed under the table (md, latex), kept in json, dropped in csv
  int digits = 4;                       // significant digits of numbers in md and latex
};

enum class TableFormat { md, csv, latex, json };

TableFormat parse_table_format(std::string_view text);  // throws UsageError for anything else
std::string render_table(const Table& table, TableFormat format);
// The text of one cell as md/latex show it ("1.234 ± 0.05", "skipped", "" for empty).
std::string cell_text(const Cell& cell, int digits);

}  // namespace attn
