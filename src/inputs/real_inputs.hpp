// Distribution "real": Q, K, V captured from pretrained transformers by tools/capture_activations.py
// and shipped under bench_specs/data/<source>/ (a manifest.json plus float16 .npy files [B, H, N, d]
// per layer). Synthetic inputs decide rankings by construction; these let a sweep ask how methods
// behave on the attention real models produce, with nothing downloaded at run time.
//
// Every problem with the data (a source that is not shipped, a missing, truncated or mis-shaped
// file, a manifest that does not match its files) is a UsageError naming the file: exit code 2.
// SHA-256 checks of the files live in the spec layer (spec_inputs_real.cpp), which has the hash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inputs/input_spec.hpp"

namespace attn {

// Folder holding the captured sets: $ATTNBENCH_DATA_DIR when set and not empty, else the source
// tree's bench_specs/data (so a build finds the shipped data wherever it runs from).
std::string real_data_dir();

// Names of the sets in real_data_dir() (sub-folders with a manifest.json), sorted.
std::vector<std::string> real_source_names();

struct RealFile {
  std::string path;  // absolute (resolved against the source folder)
  std::vector<int64_t> shape;
  std::string sha256;  // as recorded in the manifest (64 lowercase hex digits)
};

struct RealLayer {
  int64_t layer = 0;
  RealFile q, k, v;
};

// One captured set, as its manifest describes it. All layers share the shape [B, H, N, d].
struct RealSource {
  std::string name;           // the folder name, e.g. "minilm-l6"
  std::string manifest_path;  // .../bench_specs/data/<name>/manifest.json
  std::string model;          // e.g. "sentence-transformers/all-MiniLM-L6-v2"
  std::string weights_licence;
  int64_t seq_len = 0, batch = 0, heads = 0, head_dim = 0;
  std::vector<RealLayer> layers;  // in manifest order

  const RealLayer* find_layer(int64_t layer) const;  // nullptr when not captured
  std::string layer_list() const;                     // "0, 1, 2, 3, 4, 5" for messages
};

// Reads and checks <real_data_dir()>/<name>/manifest.json (files are only stat'ed here, not read).
RealSource load_real_source(const std::string& name);

// The shape of a "real" case comes from its set: sets batch, head_dim and heads (the number of
// selected heads) and, when seq_len is 0, the captured length. Checks that the layer is captured,
// the head indices exist and are distinct, and seq_len is at most the captured length.
void resolve_real_input(InputSpec& s, const RealSource& src);

// Reads the spec's layer and returns the selected heads, first seq_len tokens, as fp32
// [B, heads, seq_len, d] (temperature is left to make_inputs). The spec must match its set
// (resolve_real_input); a file whose shape differs from the manifest is an error naming it.
InputTensors make_real_inputs(const InputSpec& s);

// Head indices for case ids: "0-11" for a range, "0-2+7" otherwise.
std::string real_heads_token(const std::vector<int64_t>& heads);

}  // namespace attn
