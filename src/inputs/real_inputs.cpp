// Captured inputs (distribution "real"): manifest reading, shape resolution and head/prefix
// selection. The manifest format is written by tools/capture_activations.py (schema
// attnbench.capture/1); the reader accepts any 1.x minor version and ignores keys it does not use
// (per-head statistics, token lists, capture versions), which are there for people.
#include "inputs/real_inputs.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build_info.hpp"
#include "core/error.hpp"
#include "inputs/npy.hpp"

namespace attn {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kSchemaPrefix = "attnbench.capture/1";
constexpr const char* kDataDirEnv = "ATTNBENCH_DATA_DIR";

// Manifest errors name the file and the JSON path inside it.
class ManifestReader {
 public:
  explicit ManifestReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(std::string_view where, std::string_view why) const {
    throw UsageError(fmt::format("{}: {}: {}", path_, where, why));
  }

  const json& member(const json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object() || !obj.contains(key)) fail(where.empty() ? key : where + "." + key, "missing");
    return obj[key];
  }
  int64_t positive(const json& obj, const char* key, const std::string& where = "") const {
    const json& v = member(obj, key, where);
    if (!v.is_number_integer() || v.get<int64_t>() < 1) fail(where.empty() ? key : where + "." + key, "expected an integer >= 1");
    return v.get<int64_t>();
  }
  std::string string(const json& obj, const char* key, const std::string& where = "") const {
    const json& v = member(obj, key, where);
    if (!v.is_string() || v.get<std::string>().empty()) fail(where.empty() ? key : where + "." + key, "expected a non-empty string");
    return v.get<std::string>();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

RealFile read_file_entry(const ManifestReader& r, const json& files, const char* which, const std::string& where,
                         const fs::path& dir, const std::vector<int64_t>& expected_shape) {
  const std::string at = where + ".files." + which;
  const json& f = r.member(files, which, where + ".files");
  RealFile out;
  const std::string rel = r.string(f, "path", at);
  // Files live beside the manifest: a path that leaves the folder is a corrupt manifest.
  if (rel.find('/') != std::string::npos || rel.find('\\') != std::string::npos || rel == "." || rel == "..")
    r.fail(at + ".path", fmt::format("'{}' must be a file name in the manifest's folder", rel));
  out.path = (dir / rel).string();
  const json& shape = r.member(f, "shape", at);
  if (!shape.is_array()) r.fail(at + ".shape", "expected a list of integers");
  for (const auto& x : shape) {
    if (!x.is_number_integer()) r.fail(at + ".shape", "expected a list of integers");
    out.shape.push_back(x.get<int64_t>());
  }
  if (out.shape != expected_shape)
    r.fail(at + ".shape", fmt::format("[{}] does not match the manifest's batch, heads, seq_len, head_dim [{}]",
                                      fmt::join(out.shape, ", "), fmt::join(expected_shape, ", ")));
  out.sha256 = r.string(f, "sha256", at);
  if (!is_sha256_hex(out.sha256)) r.fail(at + ".sha256", "expected 64 lowercase hex digits");
  std::error_code ec;
  if (!fs::is_regular_file(out.path, ec))
    throw UsageError(fmt::format("{}: missing (listed in {} as {}.path)", out.path, r.path(), at));
  return out;
}

// "0-11" for a full range, "0-2+7" otherwise: short enough for case ids.
std::string ranges(const std::vector<int64_t>& xs) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < xs.size();) {
    size_t j = i;
    while (j + 1 < xs.size() && xs[j + 1] == xs[j] + 1) ++j;
    parts.push_back(j == i ? fmt::format("{}", xs[i]) : fmt::format("{}-{}", xs[i], xs[j]));
    i = j + 1;
  }
  return fmt::format("{}", fmt::join(parts, "+"));
}

}  // namespace

std::string real_data_dir() {
  if (const char* env = std::getenv(kDataDirEnv); env && *env) return env;
  return (fs::path(build::kSourceDir) / "bench_specs" / "data").string();
}

std::vector<std::string> real_source_names() {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(real_data_dir(), ec), end; !ec && it != end; it.increment(ec))
    if (fs::is_regular_file(it->path() / "manifest.json", ec)) out.push_back(it->path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

const RealLayer* RealSource::find_layer(int64_t layer) const {
  for (const auto& l : layers)
    if (l.layer == layer) return &l;
  return nullptr;
}

std::string RealSource::layer_list() const {
  std::vector<int64_t> xs;
  for (const auto& l : layers) xs.push_back(l.layer);
  return fmt::format("{}", fmt::join(xs, ", "));
}

RealSource load_real_source(const std::string& name) {
  const bool plain = !name.empty() && name != "." && name != ".." &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
                     });
  if (!plain) throw UsageError(fmt::format("source '{}': expected a folder name under {}", name, real_data_dir()));
  const fs::path dir = fs::path(real_data_dir()) / name;
  const std::string manifest = (dir / "manifest.json").string();
  std::error_code ec;
  if (!fs::is_regular_file(manifest, ec)) {
    const auto shipped = real_source_names();
    throw UsageError(fmt::format("source '{}' is not shipped: no {} (available: {}; set {} to use another data folder)",
                                 name, manifest, shipped.empty() ? "none" : fmt::format("{}", fmt::join(shipped, ", ")),
                                 kDataDirEnv));
  }
  std::ifstream in(manifest, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  json j;
  try {
    j = json::parse(buffer.str());
  } catch (const json::exception& e) {  // parse errors and numbers beyond double range
    throw UsageError(fmt::format("{}: not valid JSON ({})", manifest, e.what()));
  }
  const ManifestReader r(manifest);
  const std::string schema = r.string(j, "schema");
  if (schema != kSchemaPrefix && schema.rfind(std::string(kSchemaPrefix) + ".", 0) != 0)
    r.fail("schema", fmt::format("'{}' is not {} (written by a newer capture tool?)", schema, kSchemaPrefix));
  if (j.contains("dtype") && j["dtype"] != "float16" && j["dtype"] != "float32")
    r.fail("dtype", "expected float16 or float32");

  RealSource src;
  src.name = name;
  src.manifest_path = manifest;
  src.model = r.string(r.member(j, "model", ""), "name", "model");
  if (j["model"].contains("weights_licence")) src.weights_licence = r.string(j["model"], "weights_licence", "model");
  src.seq_len = r.positive(j, "seq_len");
  src.batch = r.positive(j, "batch");
  src.heads = r.positive(j, "heads");
  src.head_dim = r.positive(j, "head_dim");
  const std::vector<int64_t> shape = {src.batch, src.heads, src.seq_len, src.head_dim};
  const json& layers = r.member(j, "layers", "");
  if (!layers.is_array() || layers.empty()) r.fail("layers", "expected a non-empty list");
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string at = fmt::format("layers[{}]", i);
    RealLayer l;
    const json& lj = layers[i];
    if (!r.member(lj, "layer", at).is_number_integer() || lj["layer"].get<int64_t>() < 0)
      r.fail(at + ".layer", "expected an integer >= 0");
    l.layer = lj["layer"].get<int64_t>();
    if (src.find_layer(l.layer)) r.fail(at + ".layer", fmt::format("layer {} listed twice", l.layer));
    const json& files = r.member(lj, "files", at);
    l.q = read_file_entry(r, files, "q", at, dir, shape);
    l.k = read_file_entry(r, files, "k", at, dir, shape);
    l.v = read_file_entry(r, files, "v", at, dir, shape);
    src.layers.push_back(std::move(l));
  }
  return src;
}

void resolve_real_input(InputSpec& s, const RealSource& src) {
  if (!src.find_layer(s.layer))
    throw UsageError(fmt::format("layer {} is not captured in source '{}' (captured layers: {})", s.layer, src.name,
                                 src.layer_list()));
  if (s.head_indices.empty()) throw UsageError(fmt::format("source '{}': no heads selected", src.name));
  std::set<int64_t> seen;
  for (int64_t h : s.head_indices) {
    if (h < 0 || h >= src.heads)
      throw UsageError(fmt::format("head {} does not exist in source '{}' (heads 0..{})", h, src.name, src.heads - 1));
    if (!seen.insert(h).second) throw UsageError(fmt::format("head {} selected twice", h));
  }
  if (s.seq_len == 0) s.seq_len = src.seq_len;
  if (s.seq_len > src.seq_len)
    throw UsageError(fmt::format("seq_len {} is longer than the {} tokens captured in source '{}' ({}): use {} or a "
                                 "shorter prefix",
                                 s.seq_len, src.seq_len, src.name, src.manifest_path, src.seq_len));
  if (s.seq_len < 1) throw UsageError(fmt::format("seq_len must be >= 1 (got {})", s.seq_len));
  s.batch = src.batch;
  s.heads = static_cast<int64_t>(s.head_indices.size());
  s.head_dim = src.head_dim;
}

InputTensors make_real_inputs(const InputSpec& s) {
  const RealSource src = load_real_source(s.source);
  InputSpec resolved = s;
  resolve_real_input(resolved, src);
  if (resolved.shape() != s.shape())
    throw UsageError(fmt::format("source '{}': the case's shape B={} H={} N={} d={} does not match the captured "
                                 "selection B={} H={} N={} d={}",
                                 src.name, s.batch, s.heads, s.seq_len, s.head_dim, resolved.batch, resolved.heads,
                                 resolved.seq_len, resolved.head_dim));
  const RealLayer& layer = *src.find_layer(s.layer);
  InputTensors t;
  t.shape = s.shape();
  const int64_t n = s.seq_len, d = s.head_dim, h_out = s.heads;
  auto select = [&](const RealFile& f, std::vector<float>& out) {
    NpyArray a = read_npy(f.path);
    if (a.shape != f.shape)
      throw UsageError(fmt::format("{}: shape [{}] does not match [{}] recorded in {}", f.path, fmt::join(a.shape, ", "),
                                   fmt::join(f.shape, ", "), src.manifest_path));
    out.resize(static_cast<size_t>(t.shape.numel()));
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t i = 0; i < h_out; ++i) {
        // Rows of one head are contiguous, so a prefix of N tokens is one block copy.
        const float* from = a.data.data() + ((b * src.heads + s.head_indices[static_cast<size_t>(i)]) * src.seq_len) * d;
        std::copy(from, from + n * d, out.data() + ((b * h_out + i) * n) * d);
      }
  };
  select(layer.q, t.q);
  select(layer.k, t.k);
  select(layer.v, t.v);
  return t;
}

std::string real_heads_token(const std::vector<int64_t>& heads) { return ranges(heads); }

}  // namespace attn
