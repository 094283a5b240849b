// Files that hold results. The rule is that nothing measured is lost to a crash: JSONL records are
// fsynced one by one, and a report replaces its target only by rename, so a reader sees either the
// old file or the new one, never half of either.
#include "report/report_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json_depth.hpp"
#include "core/one_line.hpp"

namespace attn {
namespace fs = std::filesystem;
namespace {

std::string errno_text() { return std::strerror(errno); }

fs::path folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// Creates the folder that will hold `path`; the message says why it could not be created.
void make_parent(const std::string& path, std::string_view action) {
  std::error_code ec;
  const fs::path dir = folder_of(path);
  fs::create_directories(dir, ec);
  if (ec) throw UsageError(fmt::format("{}: {} ({}: {})", path, action, dir.string(), ec.message()));
  if (!fs::is_directory(dir, ec))
    throw UsageError(fmt::format("{}: {} ({} is not a folder)", path, action, dir.string()));
}

bool read_whole(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  text = s.str();
  return !in.bad();
}

// Makes the folder entry of a rename durable. Best effort: some file systems refuse fsync on folders.
void sync_folder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// A crash while appending can leave a last line without its newline. Appending after it would glue
// the next record onto the fragment and turn a harmless torn tail into a corrupt middle line, so
// before appending: drop an unparseable fragment, or just terminate a complete one.
void repair_tail(const std::string& path, std::FILE* file) {
  std::string text;
  if (!read_whole(path, text) || text.empty() || text.back() == '\n') return;
  const auto start = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (nlohmann::json::accept(text.substr(start))) {
    std::fputc('\n', file);
    return;
  }
  std::fprintf(stderr, "attnbench: %s: ignoring torn last line\n", path.c_str());
  std::fflush(file);
  if (::ftruncate(fileno(file), static_cast<off_t>(start)) != 0)
    throw UsageError(fmt::format("{}: cannot drop a torn last line ({})", path, errno_text()));
}

}  // namespace

JsonlWriter::JsonlWriter(const std::string& path) : path_(path) {
  make_parent(path, "cannot open for writing");
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) throw UsageError(fmt::format("{}: cannot open for writing ({})", path, errno_text()));
  try {
    repair_tail(path, file_);
  } catch (...) {
    std::fclose(file_);
    throw;
  }
}

JsonlWriter::~JsonlWriter() {
  if (file_) std::fclose(file_);
}

void JsonlWriter::append(const CaseResult& r) {
  const std::string line = to_json(r).dump() + "\n";
  // One fwrite per record, then flush and fsync: a crash loses at most the record being written.
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0 ||
      ::fsync(fileno(file_)) != 0)
    throw UsageError(fmt::format("{}: write failed ({})", path_, errno_text()));
}

std::vector<CaseResult> read_jsonl(const std::string& path) {
  std::string text;
  if (!read_whole(path, text)) throw UsageError(fmt::format("{}: cannot open for reading ({})", path, errno_text()));
  // Split into (line number, text) pairs, skipping blank lines.
  std::vector<std::pair<std::size_t, std::string>> lines;
  std::istringstream in(text);
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n)
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.emplace_back(n, line);

  std::vector<CaseResult> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& [number, body] = lines[i];
    if (json_nesting_depth(body) > kMaxJsonDepth)  // before parsing: deep nesting overflows the stack
      throw UsageError(fmt::format("{}:{}: JSON nested deeper than {} levels", path, number, kMaxJsonDepth));
    nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      // Only the last record can have been cut short by a crash; anywhere else it is corruption.
      if (i + 1 == lines.size()) {
        std::fprintf(stderr, "attnbench: %s: ignoring torn last line\n", path.c_str());
        break;
      }
      throw UsageError(fmt::format("{}:{}: torn or malformed line (not valid JSON)", path, number));
    }
    try {
      out.push_back(case_result_from_json(j));
    } catch (const UsageError& e) {
      throw UsageError(one_line(fmt::format("{}:{}: {}", path, number, e.what())));
    }
  }
  return out;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  make_parent(path, "cannot write");
  // The temp file sits in the target's folder so the rename never crosses a file system.
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) throw UsageError(fmt::format("{}: cannot write ({}: {})", path, tmp, errno_text()));
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                       ::fsync(fileno(f)) == 0;
  const std::string why = written ? "" : errno_text();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = why.empty() ? errno_text() : why;
    std::remove(tmp.c_str());
    throw UsageError(fmt::format("{}: cannot write ({})", path, reason));
  }
  sync_folder(folder_of(path));
}

void write_report(const std::string& path, const Report& report) {
  write_file_atomic(path, to_json(report).dump(2) + "\n");
}

Report read_report(const std::string& path) {
  std::string text;
  if (!read_whole(path, text)) throw UsageError(fmt::format("{}: cannot open for reading ({})", path, errno_text()));
  if (json_nesting_depth(text) > kMaxJsonDepth)  // before parsing: deep nesting overflows the stack
    throw UsageError(fmt::format("{}: JSON nested deeper than {} levels", path, kMaxJsonDepth));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw UsageError(fmt::format("{}: not valid JSON", path));
  try {
    return report_from_json(j, path);
  } catch (const UsageError& e) {
    throw UsageError(one_line(e.what()));  // keys and values from the file are quoted into messages
  }
}

void check_writable(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw UsageError(fmt::format("{}: is a folder, not a file", path));
  make_parent(path, "cannot create the output file");
  if (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0)
    throw UsageError(fmt::format("{}: exists but is not writable ({})", path, errno_text()));
  // Creating (and removing) a file is the only reliable test: permissions, read-only mounts, ACLs
  // and full quotas all show up here.
  const std::string probe = (folder_of(path) / fmt::format(".attnbench-check.{}", ::getpid())).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw UsageError(fmt::format("{}: cannot create files in {} ({})", path, folder_of(path).string(), errno_text()));
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace attn
