// `attnbench report --filter EXPR`: keeps the records for which every comma-separated term holds.
// A term is KEY OP VALUE with OP one of  =  !=  <  <=  >  >=  ~ (regex search)  !~ (no match).
// KEY is a record key (method, N, config, params.NAME, ... see tables_fields.hpp) or a metric
// (rel_fro, median_ms, ...). Numbers compare as numbers, anything else as text:
//   --filter 'method~^(flash|performer)$,N>=1024,causal=full,rel_fro<0.1'
#pragma once

#include <string>
#include <vector>

#include "report/tables_fields.hpp"

namespace attn {

class RecordFilter {
 public:
  RecordFilter() = default;
  explicit RecordFilter(const std::string& expr);  // throws UsageError naming the bad term
  bool matches(const CaseResult& r, const RecordLabels& labels) const;
  bool empty() const { return terms_.empty(); }

  struct Term {
    std::string key, op, value;
  };

 private:
  std::vector<Term> terms_;
};

std::vector<CaseResult> filter_records(const std::vector<CaseResult>& records, const std::vector<std::string>& exprs);

}  // namespace attn
