// Fuzzes the .npy reader (read_npy) through a real file. The contract for any input: an array whose
// element count matches its shape, or a UsageError naming the file; never an allocation larger than
// the file justifies (a header claiming a huge shape is refused first), a crash or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/error.hpp"
#include "fuzz_file.hpp"
#include "inputs/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = attn::fuzz::scratch().write("input.npy", data, size);
  try {
    const attn::NpyArray a = attn::read_npy(path);
    uint64_t numel = 1;
    for (int64_t d : a.shape) {
      if (d < 0) std::abort();
      numel *= static_cast<uint64_t>(d);
    }
    if (numel != a.data.size()) std::abort();
    if (a.data.size() * 2 > size) std::abort();  // at least 2 bytes (fp16) of file per element
  } catch (const attn::UsageError&) {
  }
  return 0;
}
