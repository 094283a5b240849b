// Renders a Table as Markdown, CSV, LaTeX (booktabs) or JSON. Formatting lives here only, so the
// table builders (pivot, views) never think about escaping or alignment.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "report/tables.hpp"

namespace attn {
namespace {

// A column is numeric (right-aligned) when numbers are at least as common as text in it: a
// "skipped" among timings stays in a numeric column.
std::vector<bool> numeric_columns(const Table& t) {
  std::vector<int> numbers(t.columns.size(), 0), texts(t.columns.size(), 0);
  for (const auto& row : t.rows)
    for (size_t c = 0; c < row.size() && c < numbers.size(); ++c) {
      if (row[c].value) ++numbers[c];
      else if (!row[c].text.empty()) ++texts[c];
    }
  std::vector<bool> numeric(t.columns.size());
  for (size_t c = 0; c < numeric.size(); ++c) numeric[c] = numbers[c] > 0 && numbers[c] >= texts[c];
  return numeric;
}

std::string number_text(double v, int digits) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  if (v == std::floor(v) && std::abs(v) < 1e9) return fmt::format("{:.0f}", v);
  return fmt::format("{:.{}g}", v, digits);
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += "\\|";
    else if (ch == '\n') out += ' ';
    else out += ch;
  }
  return out;
}

std::string latex_escape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    switch (ch) {
      case '\\': out += "\\textbackslash{}"; break;
      case '&': case '%': case '$': case '#': case '_': case '{': case '}': out += '\\'; out += ch; break;
      case '~': out += "\\textasciitilde{}"; break;
      case '^': out += "\\textasciicircum{}"; break;
      case '<': out += "\\textless{}"; break;
      case '>': out += "\\textgreater{}"; break;
      default:
        // UTF-8 "±" (C2 B1) and "≤" (E2 89 A4) and "×" (C3 97) appear in our own cells.
        if (s.compare(i, 2, "\xC2\xB1") == 0) { out += "$\\pm$"; i += 1; }
        else if (s.compare(i, 3, "\xE2\x89\xA4") == 0) { out += "$\\le$"; i += 2; }
        else if (s.compare(i, 2, "\xC3\x97") == 0) { out += "$\\times$"; i += 1; }
        else out += ch;
    }
  }
  return out;
}

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

// Display width in code points (our cells hold a few multi-byte characters such as "±").
size_t width_of(const std::string& s) {
  size_t w = 0;
  for (unsigned char ch : s) w += (ch & 0xC0) != 0x80;
  return w;
}

std::string pad(const std::string& s, size_t width, bool right) {
  const size_t w = width_of(s);
  const std::string fill(width > w ? width - w : 0, ' ');
  return right ? fill + s : s + fill;
}

std::string render_md(const Table& t) {
  const auto numeric = numeric_columns(t);
  std::vector<std::vector<std::string>> text;
  std::vector<size_t> width(t.columns.size(), 3);
  for (size_t c = 0; c < t.columns.size(); ++c) width[c] = std::max(width[c], width_of(md_escape(t.columns[c])));
  for (const auto& row : t.rows) {
    auto& out = text.emplace_back();
    for (size_t c = 0; c < t.columns.size(); ++c) {
      out.push_back(md_escape(c < row.size() ? cell_text(row[c], t.digits) : ""));
      width[c] = std::max(width[c], width_of(out.back()));
    }
  }
  std::string s;
  if (!t.title.empty()) s += fmt::format("**{}**\n\n", md_escape(t.title));
  s += "|";
  for (size_t c = 0; c < t.columns.size(); ++c) s += " " + pad(md_escape(t.columns[c]), width[c], numeric[c]) + " |";
  s += "\n|";
  for (size_t c = 0; c < t.columns.size(); ++c)
    s += " " + (numeric[c] ? std::string(width[c] - 1, '-') + ":" : std::string(width[c], '-')) + " |";
  s += "\n";
  for (const auto& row : text) {
    s += "|";
    for (size_t c = 0; c < row.size(); ++c) s += " " + pad(row[c], width[c], numeric[c]) + " |";
    s += "\n";
  }
  for (const auto& note : t.notes) s += fmt::format("\n{}\n", md_escape(note));
  return s;
}

std::string render_csv(const Table& t) {
  // A column with any aggregated cell gets a companion `_std` column.
  std::vector<bool> has_std(t.columns.size(), false);
  for (const auto& row : t.rows)
    for (size_t c = 0; c < row.size() && c < has_std.size(); ++c) has_std[c] = has_std[c] || row[c].spread.has_value();
  std::string s;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    s += (c ? "," : "") + csv_quote(t.columns[c]);
    if (has_std[c]) s += "," + csv_quote(t.columns[c] + "_std");
  }
  s += "\n";
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < t.columns.size(); ++c) {
      const Cell empty;
      const Cell& cell = c < row.size() ? row[c] : empty;
      std::string v = !cell.text.empty() ? cell.text : cell.value ? fmt::format("{}", *cell.value) : "";
      s += (c ? "," : "") + csv_quote(v);
      if (has_std[c]) s += "," + (cell.spread && cell.text.empty() ? fmt::format("{}", *cell.spread) : std::string());
    }
    s += "\n";
  }
  return s;
}

std::string render_latex(const Table& t) {
  const auto numeric = numeric_columns(t);
  std::string spec;
  for (bool n : numeric) spec += n ? 'r' : 'l';
  std::string s;
  if (!t.title.empty()) s += fmt::format("% {}\n", t.title);
  s += "% needs \\usepackage{booktabs}\n";
  s += fmt::format("\\begin{{tabular}}{{{}}}\n\\toprule\n", spec);
  for (size_t c = 0; c < t.columns.size(); ++c) s += (c ? " & " : "") + latex_escape(t.columns[c]);
  s += " \\\\\n\\midrule\n";
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < t.columns.size(); ++c) s += (c ? " & " : "") + latex_escape(c < row.size() ? cell_text(row[c], t.digits) : "");
    s += " \\\\\n";
  }
  s += "\\bottomrule\n\\end{tabular}\n";
  for (const auto& note : t.notes) s += fmt::format("% {}\n", note);
  return s;
}

nlohmann::json cell_json(const Cell& cell) {
  if (!cell.text.empty()) return cell.text;
  if (!cell.value) return nullptr;
  const auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  if (cell.count > 1) return {{"mean", num(*cell.value)}, {"std", cell.spread ? num(*cell.spread) : nullptr}, {"n", cell.count}};
  return num(*cell.value);
}

std::string render_json(const Table& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : t.rows) {
    nlohmann::json r = nlohmann::json::object();
    for (size_t c = 0; c < t.columns.size(); ++c) r[t.columns[c]] = c < row.size() ? cell_json(row[c]) : nullptr;
    rows.push_back(r);
  }
  nlohmann::json j = {{"title", t.title}, {"columns", t.columns}, {"rows", rows}, {"notes", t.notes}};
  return j.dump(2) + "\n";
}

}  // namespace

TableFormat parse_table_format(std::string_view text) {
  if (text == "md" || text == "markdown") return TableFormat::md;
  if (text == "csv") return TableFormat::csv;
  if (text == "latex" || text == "tex") return TableFormat::latex;
  if (text == "json") return TableFormat::json;
  throw UsageError(fmt::format("--format: unknown format '{}' (md, csv, latex, json)", text));
}

std::string cell_text(const Cell& cell, int digits) {
  if (!cell.text.empty()) return cell.text;
  if (!cell.value) return "";
  std::string s = number_text(*cell.value, digits);
  if (cell.spread && cell.count > 1) s += " \xC2\xB1 " + number_text(*cell.spread, std::max(2, digits - 2));
  return s;
}

std::string render_table(const Table& table, TableFormat format) {
  switch (format) {
    case TableFormat::md: return render_md(table);
    case TableFormat::csv: return render_csv(table);
    case TableFormat::latex: return render_latex(table);
    case TableFormat::json: return render_json(table);
  }
  return {};
}

}  // namespace attn
