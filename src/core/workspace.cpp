#include "core/workspace.hpp"

#include <algorithm>

#include "core/device_memory.hpp"

namespace attn {

void* Workspace::get_bytes(std::string_view key, std::size_t bytes) {
  auto it = buffers_.find(key);
  if (it != buffers_.end() && it->second.bytes >= bytes) return it->second.ptr;
  if (it != buffers_.end()) {
    device_free(device_, it->second.ptr);
    current_bytes_ -= it->second.bytes;
    buffers_.erase(it);
  }
  void* p = device_alloc(device_, bytes);  // throws OutOfMemoryError
  buffers_.emplace(std::string(key), Buffer{p, bytes});
  current_bytes_ += bytes;
  peak_bytes_ = std::max(peak_bytes_, current_bytes_);
  return p;
}

void Workspace::release(std::string_view key) {
  auto it = buffers_.find(key);
  if (it == buffers_.end()) return;
  device_free(device_, it->second.ptr);
  current_bytes_ -= it->second.bytes;
  buffers_.erase(it);
}

void Workspace::release_all() {
  for (auto& [key, buf] : buffers_) device_free(device_, buf.ptr);
  buffers_.clear();
  current_bytes_ = 0;
}

void Workspace::account_external(std::ptrdiff_t delta_bytes) {
  current_bytes_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(current_bytes_) + delta_bytes);
  peak_bytes_ = std::max(peak_bytes_, current_bytes_);
}

}  // namespace attn
