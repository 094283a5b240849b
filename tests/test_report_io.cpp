// Result files: JSONL append and torn-line handling, atomic writes, the up-front writability check.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "report/report_io.hpp"

namespace attn {
namespace {

namespace fs = std::filesystem;

class ReportIo : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "attnbench-io-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    for (const auto& e : fs::recursive_directory_iterator(dir_, ec))
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

CaseResult make_case(const std::string& id) {
  CaseResult r;
  r.case_id = id;
  r.method = "exact";
  r.input.seq_len = 64;
  r.time_ms = summarize({1, 2, 3});
  r.error = ErrorMetrics{1e-7, 1e-6, 1, 1, 0};
  return r;
}

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& p, const std::string& text, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out(p, std::ios::out | mode);
  out << text;
}

TEST_F(ReportIo, JsonlAppendsOneLinePerCaseAndCreatesFolders) {
  const std::string p = path("a/b/run.jsonl");
  {
    JsonlWriter w(p);
    w.append(make_case("c1"));
    w.append(make_case("c2"));
  }
  {
    JsonlWriter w(p);  // reopening appends, never truncates (resume)
    w.append(make_case("c3"));
  }
  const std::string text = slurp(p);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  const auto back = read_jsonl(p);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].case_id, "c1");
  EXPECT_EQ(back[2].case_id, "c3");
  EXPECT_EQ(to_json(back[1]), to_json(make_case("c2")));
}

TEST_F(ReportIo, TornLastLineIsSkippedWithAWarning) {
  const std::string p = path("run.jsonl");
  {
    JsonlWriter w(p);
    w.append(make_case("c1"));
    w.append(make_case("c2"));
  }
  spit(p, R"({"case_id": "c3", "method": "ex)", std::ios::app);
  ::testing::internal::CaptureStderr();
  const auto back = read_jsonl(p);
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].case_id, "c2");
  EXPECT_NE(err.find(p + ": ignoring torn last line"), std::string::npos) << err;
}

TEST_F(ReportIo, TornLineInTheMiddleIsAnErrorNamingTheLine) {
  const std::string p = path("run.jsonl");
  const std::string good = to_json(make_case("c1")).dump();
  spit(p, good + "\n{\"case_id\": \"c2\", \"meth\n" + good + "\n");
  try {
    read_jsonl(p);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(p + ":2:"), std::string::npos) << e.what();
  }
}

TEST_F(ReportIo, WriterDropsATornTailBeforeAppending) {
  const std::string p = path("run.jsonl");
  {
    JsonlWriter w(p);
    w.append(make_case("c1"));
  }
  spit(p, R"({"case_id": "c2", "met)", std::ios::app);
  ::testing::internal::CaptureStderr();
  {
    JsonlWriter w(p);
    w.append(make_case("c3"));
  }
  ::testing::internal::GetCapturedStderr();
  const auto back = read_jsonl(p);  // would throw if c3 had been glued onto the fragment
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].case_id, "c3");
}

TEST_F(ReportIo, WriterTerminatesACompleteLastLineMissingItsNewline) {
  const std::string p = path("run.jsonl");
  spit(p, to_json(make_case("c1")).dump());
  {
    JsonlWriter w(p);
    w.append(make_case("c2"));
  }
  const auto back = read_jsonl(p);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].case_id, "c1");
}

TEST_F(ReportIo, JsonlWriterFailsUnderARegularFile) {
  spit(path("file"), "x");
  const std::string p = path("file/run.jsonl");
  try {
    JsonlWriter w(p);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(p + ": cannot open for writing ("), std::string::npos) << e.what();
  }
}

TEST_F(ReportIo, ReadJsonlOfAMissingFileIsAUsageError) { EXPECT_THROW(read_jsonl(path("none.jsonl")), UsageError); }

TEST_F(ReportIo, AtomicWriteReplacesAndLeavesNoTempFile) {
  const std::string p = path("out/r.json");
  write_file_atomic(p, "old\n");
  write_file_atomic(p, "new\n");
  EXPECT_EQ(slurp(p), "new\n");
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(path("out"))) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(ReportIo, AtomicWriteUnderARegularFileThrowsNamingThePath) {
  spit(path("somefile"), "x");
  const std::string p = path("somefile/x.json");
  try {
    write_file_atomic(p, "{}");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
  EXPECT_EQ(slurp(path("somefile")), "x");
}

TEST_F(ReportIo, AtomicWriteKeepsTheOldFileWhenTheTempCannotBeCreated) {
  // A folder squatting on the temp name makes the write fail even for root.
  const std::string p = path("r.json");
  write_file_atomic(p, "old\n");
  fs::create_directory(fmt::format("{}.tmp.{}", p, ::getpid()));
  EXPECT_THROW(write_file_atomic(p, "new\n"), UsageError);
  EXPECT_EQ(slurp(p), "old\n");
}

TEST_F(ReportIo, AtomicWriteKeepsTheOldFileInAReadOnlyFolder) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores folder permissions (the temp-name test covers this path)";
  const std::string p = path("ro/r.json");
  write_file_atomic(p, "old\n");
  fs::permissions(path("ro"), fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(write_file_atomic(p, "new\n"), UsageError);
  EXPECT_EQ(slurp(p), "old\n");
  EXPECT_THROW(check_writable(p), UsageError);
}

TEST_F(ReportIo, ReportFileRoundTrips) {
  Report rep;
  rep.spec = {{"name", "t"}};
  rep.spec_sha256 = "00";
  rep.results = {make_case("c1"), make_case("c2")};
  const std::string p = path("results/t.json");
  write_report(p, rep);
  const Report back = read_report(p);
  EXPECT_EQ(to_json(back), to_json(rep));
  EXPECT_EQ(nlohmann::json::parse(slurp(p))["schema"], "attnbench.report/1");
}

TEST_F(ReportIo, ReadReportRejectsBadFiles) {
  EXPECT_THROW(read_report(path("missing.json")), UsageError);
  spit(path("bad.json"), "{ not json");
  EXPECT_THROW(read_report(path("bad.json")), UsageError);
  spit(path("v2.json"), R"({"schema": "attnbench.report/2", "results": []})");
  try {
    read_report(path("v2.json"));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("v2.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("attnbench.report/2"), std::string::npos);
  }
}

// Deep nesting overflowed the stack while reading (nlohmann copies and dumps recursively): a crash of
// report, compare, merge and --resume. It is refused before parsing, naming the file (and line).
TEST_F(ReportIo, DeeplyNestedFilesAreUsageErrors) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  spit(path("deep.json"), R"({"schema": "attnbench.report/1", "results": [], "spec": {"x": )" + deep + "}}");
  try {
    read_report(path("deep.json"));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), path("deep.json") + ": JSON nested deeper than 64 levels");
  }
  JsonlWriter(path("deep.jsonl")).append(make_case("a"));
  spit(path("deep.jsonl"), R"({"case_id": )" + deep + "}\n", std::ios::app);
  try {
    read_jsonl(path("deep.jsonl"));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), path("deep.jsonl") + ":2: JSON nested deeper than 64 levels");
  }
}

// Values from the file are quoted into messages; a control character in one must not split the line.
TEST_F(ReportIo, ErrorsStayOneLineWhateverTheValues) {
  nlohmann::json record = to_json(make_case("a"));
  record["status"] = "fine\nreally";
  spit(path("r.jsonl"), record.dump() + "\n" + record.dump() + "\n");
  try {
    read_jsonl(path("r.jsonl"));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), path("r.jsonl") + ":1: status: unknown status 'fine\\nreally'");
  }
  spit(path("r.json"), R"({"schema": "attnbench.report/1", "results": [)" + record.dump() + "]}");
  try {
    read_report(path("r.json"));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), path("r.json") + ": results[0].status: unknown status 'fine\\nreally'");
  }
}

TEST_F(ReportIo, CheckWritable) {
  const std::string p = path("new/folder/r.json");
  EXPECT_NO_THROW(check_writable(p));
  EXPECT_TRUE(fs::is_directory(path("new/folder")));
  EXPECT_TRUE(fs::is_empty(path("new/folder")));  // the probe file is gone
  spit(path("plain"), "x");
  EXPECT_THROW(check_writable(path("plain/r.json")), UsageError);
  EXPECT_THROW(check_writable(path("new")), UsageError);  // a folder is not a file
}

}  // namespace
}  // namespace attn
