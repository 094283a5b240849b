// NumPy .npy read/write (format versions 1.0-3.0). Reads little-endian float32, float16 and float64
// in C order, converting to float32; rejects anything else with one line naming the file and reason
// (truncated data, big-endian, Fortran order, wrong dtype, absurd or negative shapes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

NpyArray read_npy(const std::string& path);
// Written to a temp file in the same folder and renamed, so a failure leaves no half-written file.
void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);

}  // namespace attn
