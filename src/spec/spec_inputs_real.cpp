// The spec's selection of captured inputs (distribution "real"): which sets, layers and heads, with
// the shape of each case taken from the set. Everything a run would trip over later (a set that is
// not shipped, a layer or head that was not captured, a file whose bytes are not the ones the
// manifest recorded, a seq_len longer than captured) is found here, before anything runs.
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "spec/spec.hpp"
#include "spec/spec_detail.hpp"

namespace attn::spec_detail {

namespace {

// Prefixes a message from the inputs layer with the JSON path it belongs to.
template <class F>
auto at_path(const std::string& path, F&& f) {
  try {
    return f();
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", path, e.what()));
  }
}

// The whole file is hashed: the shipped files are small (under 1 MiB each), and a truncated or
// edited file must not reach a run. Hashing happens once per (file, spec parse).
void verify_sha256(const RealFile& f, const std::string& manifest) {
  std::ifstream in(f.path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (!in && !in.eof()) throw UsageError(fmt::format("{}: cannot read", f.path));
  const std::string got = sha256_hex(buffer.str());
  if (got != f.sha256)
    throw UsageError(fmt::format("{}: SHA-256 {} does not match {} recorded in {} (the file is corrupt or from "
                                 "another capture)",
                                 f.path, got, f.sha256, manifest));
}

std::vector<int64_t> all_layers(const RealSource& src) {
  std::vector<int64_t> out;
  for (const auto& l : src.layers) out.push_back(l.layer);
  return out;
}

RealSelection::Heads parse_heads_value(const json& v, const std::string& path) {
  RealSelection::Heads h;
  h.path = path;
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "all") return h;
    if (s == "each") {
      h.kind = RealSelection::Heads::Kind::each;
      return h;
    }
    throw UsageError(fmt::format("{}: expected \"all\", \"each\", a head index or a list of head indices (got '{}')", path, s));
  }
  h.kind = RealSelection::Heads::Kind::list;
  if (v.is_array()) {
    if (v.empty()) throw UsageError(fmt::format("{}: an empty list selects no head", path));
    for (size_t i = 0; i < v.size(); ++i) h.list.push_back(get_int(v[i], fmt::format("{}[{}]", path, i), 0));
    std::vector<int64_t> sorted = h.list;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      throw UsageError(fmt::format("{}: a head is listed twice", path));
  } else {
    h.list.push_back(get_int(v, path, 0));
  }
  return h;
}

}  // namespace

bool only_real_distribution(const json& inputs) {
  if (!inputs.is_object() || !inputs.contains("distribution")) return false;
  const json& d = inputs["distribution"];
  if (d.is_string()) return d == "real";
  return d.is_array() && !d.empty() && std::all_of(d.begin(), d.end(), [](const json& x) { return x == "real"; });
}

RealSelection parse_real_selection(const json& inputs, const std::vector<std::string>& distributions) {
  RealSelection sel;
  if (std::find(distributions.begin(), distributions.end(), "real") == distributions.end()) return sel;
  const bool only_real = std::all_of(distributions.begin(), distributions.end(), [](const auto& d) { return d == "real"; });
  if (only_real) {
    for (const char* key : {"head_dim", "batch"})
      if (inputs.contains(key))
        throw UsageError(fmt::format("inputs.{}: distribution 'real' takes it from the captured set; remove it", key));
  } else if (inputs.contains("heads")) {
    throw UsageError("inputs.heads: ambiguous with 'real' and other distributions in one spec (for 'real' it selects "
                     "captured heads, for the others it counts them); put 'real' in a spec of its own");
  }
  if (!inputs.contains("source")) throw UsageError("inputs.source: required when distribution is 'real'");
  for (const auto& a : axis_values(inputs["source"], "inputs.source")) {
    const std::string name = get_string(*a.value, a.path);
    sel.sources.push_back(at_path(a.path, [&] { return load_real_source(name); }));
  }
  if (inputs.contains("layers")) {
    for (const auto& a : axis_values(inputs["layers"], "inputs.layers")) {
      if (a.value->is_string() && *a.value == "all") {
        sel.layers.push_back({std::nullopt, a.path});
        continue;
      }
      if (!a.value->is_number_integer())
        throw UsageError(fmt::format("{}: expected a layer index or \"all\" (got {})", a.path, a.value->dump()));
      sel.layers.push_back({get_int(*a.value, a.path, 0), a.path});
    }
  } else {
    sel.layers.push_back({std::nullopt, "inputs.layers"});
  }
  if (inputs.contains("heads") && only_real) {
    const json& v = inputs["heads"];
    // A list whose elements are all integers is a sweep over single heads, as for any other key;
    // packed groups are lists inside the list.
    for (const auto& a : axis_values(v, "inputs.heads")) sel.heads.push_back(parse_heads_value(*a.value, a.path));
  } else {
    sel.heads.push_back({});
  }

  // Everything the cases will need is checked now, with the path of the value that asked for it.
  for (const RealSource& src : sel.sources) {
    std::vector<int64_t> used;
    for (const auto& l : sel.layers) {
      if (!l.layer) {
        const auto all = all_layers(src);
        used.insert(used.end(), all.begin(), all.end());
      } else if (!src.find_layer(*l.layer)) {
        throw UsageError(fmt::format("{}: layer {} is not captured in source '{}' (captured layers: {})", l.path,
                                     *l.layer, src.name, src.layer_list()));
      } else {
        used.push_back(*l.layer);
      }
    }
    for (const auto& h : sel.heads)
      for (int64_t x : h.list)
        if (x >= src.heads)
          throw UsageError(fmt::format("{}: head {} does not exist in source '{}' (heads 0..{})", h.path, x, src.name,
                                       src.heads - 1));
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    for (int64_t layer : used) {
      const RealLayer& l = *src.find_layer(layer);
      for (const RealFile* f : {&l.q, &l.k, &l.v}) verify_sha256(*f, src.manifest_path);
    }
  }
  return sel;
}

std::vector<InputSpec> expand_real_input(const InputSpec& base, const RealSelection& sel) {
  if (base.distribution != "real") return {base};
  std::vector<InputSpec> out;
  for (const RealSource& src : sel.sources) {
    std::vector<int64_t> layers;
    for (const auto& l : sel.layers) {
      if (l.layer) {
        layers.push_back(*l.layer);
      } else {
        const auto all = all_layers(src);
        layers.insert(layers.end(), all.begin(), all.end());
      }
    }
    std::vector<std::vector<int64_t>> groups;
    for (const auto& h : sel.heads) {
      switch (h.kind) {
        case RealSelection::Heads::Kind::all: {
          std::vector<int64_t> every(static_cast<size_t>(src.heads));
          for (int64_t i = 0; i < src.heads; ++i) every[static_cast<size_t>(i)] = i;
          groups.push_back(std::move(every));
          break;
        }
        case RealSelection::Heads::Kind::each:
          for (int64_t i = 0; i < src.heads; ++i) groups.push_back({i});
          break;
        case RealSelection::Heads::Kind::list:
          groups.push_back(h.list);
          break;
      }
    }
    for (int64_t layer : layers)
      for (const auto& group : groups) {
        InputSpec s = base;
        s.source = src.name;
        s.layer = layer;
        s.head_indices = group;
        at_path("inputs", [&] { resolve_real_input(s, src); });
        out.push_back(std::move(s));
      }
  }
  return out;
}

}  // namespace attn::spec_detail
