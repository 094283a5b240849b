// Non-owning view of a contiguous [B, H, N, d] tensor (d fastest). Methods and ops see one view per
// operand; the `B*H` heads are a batch of independent [N, d] matrices `head_stride()` elements apart.
#pragma once

#include <cstdint>

#include "core/dtype.hpp"

namespace attn {

struct Shape {
  int64_t batch = 1;
  int64_t heads = 1;
  int64_t seq_len = 0;
  int64_t head_dim = 0;

  int64_t heads_total() const { return batch * heads; }
  int64_t head_elems() const { return seq_len * head_dim; }
  int64_t numel() const { return heads_total() * head_elems(); }
  bool operator==(const Shape&) const = default;
};

struct Tensor {
  void* data = nullptr;
  Shape shape;
  DType dtype = DType::f32;
  Device device = Device::cpu;

  template <class T>
  T* ptr() const { return static_cast<T*>(data); }
  // First element of head `bh` (0 <= bh < B*H).
  template <class T>
  T* head(int64_t bh) const { return static_cast<T*>(data) + bh * shape.head_elems(); }
  int64_t head_stride() const { return shape.head_elems(); }
  int64_t bytes() const { return shape.numel() * static_cast<int64_t>(dtype_size(dtype)); }
};

}  // namespace attn
