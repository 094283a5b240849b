// LAPACK reports failure through `info`. A negative info is a wrong argument (a bug: abort with
// file:line); a positive one is a numerical failure on this data (e.g. an SVD that did not
// converge), which belongs to the case: it becomes the case's `error` status and the sweep goes on.
#pragma once

#include <string>

#include "core/error.hpp"

namespace attn::ops::cpu {

inline void check_lapack(int info, const char* what) {
  ATTN_CHECK(info >= 0, std::string(what) + ": illegal argument " + std::to_string(-info));
  if (info > 0) throw CaseError(std::string(what) + " did not converge (LAPACK info " + std::to_string(info) + ")");
}

}  // namespace attn::ops::cpu
