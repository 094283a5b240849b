// Progress lines: periodic plain lines when not a terminal, failures always named, silence when
// disabled, and an ETA that follows the cost estimates.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "runner/progress.hpp"

namespace attn {
namespace {

std::string read_all(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  while (const size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  return out;
}

CaseResult result(const std::string& id, const std::string& status) {
  CaseResult r;
  r.case_id = id;
  r.status = status;
  if (status != "ok") r.reason = "why";
  return r;
}

TEST(Progress, PlainLinesCountCasesAndNameFailures) {
  std::FILE* f = std::tmpfile();
  Progress p(3, 3.0, {.enabled = true, .interval_s = 0, .out = f, .terminal = false});
  p.start("a", 1.0);
  p.finish(result("a", "ok"), 1.0);
  p.start("b", 1.0);
  p.finish(result("b", "crash"), 1.0);
  p.done();
  const std::string out = read_all(f);
  EXPECT_NE(out.find("[0/3] 0%"), std::string::npos) << out;
  EXPECT_NE(out.find("[1/3] 33%"), std::string::npos) << out;
  EXPECT_NE(out.find("attnbench: b: crash (why)"), std::string::npos) << out;
  EXPECT_NE(out.find("[2/3] 66%"), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << "no terminal control in logs";
  std::fclose(f);
}

TEST(Progress, PlainLinesAreRateLimited) {
  std::FILE* f = std::tmpfile();
  Progress p(100, 100.0, {.enabled = true, .interval_s = 3600, .out = f, .terminal = false});
  for (int i = 0; i < 100; ++i) {
    p.start("c", 1.0);
    p.finish(result("c", "ok"), 1.0);
  }
  p.done();  // the final line is forced
  const std::string out = read_all(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("[100/100] 100%"), std::string::npos) << out;
  std::fclose(f);
}

TEST(Progress, DisabledIsSilent) {
  std::FILE* f = std::tmpfile();
  Progress p(1, 1.0, {.enabled = false, .interval_s = 0, .out = f, .terminal = false});
  p.start("a", 1.0);
  p.finish(result("a", "crash"), 1.0);
  p.done();
  EXPECT_TRUE(read_all(f).empty());
  std::fclose(f);
}

TEST(Progress, TerminalLineRewritesItselfAndEtaUsesCosts) {
  std::FILE* f = std::tmpfile();
  Progress p(2, 1000.0, {.enabled = true, .interval_s = 0, .out = f, .terminal = true});
  p.start("first", 1.0);
  // Nothing finished yet: the raw estimate (1000 s = 16:40), marked approximate.
  EXPECT_NE(p.status_line().find("eta ~16:40"), std::string::npos) << p.status_line();
  EXPECT_NE(p.status_line().find("first"), std::string::npos);
  p.finish(result("first", "ok"), 1.0);
  EXPECT_EQ(p.status_line().find('~'), std::string::npos) << p.status_line();
  const std::string out = read_all(f);
  EXPECT_NE(out.find("\r\033[K"), std::string::npos);
  std::fclose(f);
}

}  // namespace
}  // namespace attn
