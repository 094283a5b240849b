// A method's working memory for one case: named buffers on one device, allocated on first use and
// reused by every later forward, with current and peak bytes tracked. Because buffers are keyed and
// kept, the first (cold) forward pays the allocation and first-touch cost and the timed
// repetitions measure the arithmetic only; the peak is what the method really holds at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/dtype.hpp"

namespace attn {

class Workspace {
 public:
  explicit Workspace(Device device) : device_(device) {}
  ~Workspace() { release_all(); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // The buffer named `key`, at least `count` elements of T, 64-byte aligned. Calls with the same key
  // return the same memory (grown, without preserving contents, when a larger size is asked for).
  template <class T>
  T* get(std::string_view key, int64_t count) {
    return static_cast<T*>(get_bytes(key, static_cast<std::size_t>(count) * sizeof(T)));
  }
  void* get_bytes(std::string_view key, std::size_t bytes);
  // Frees one named buffer (for scratch that must not count toward the steady-state peak).
  void release(std::string_view key);
  void release_all();

  Device device() const { return device_; }
  std::size_t current_bytes() const { return current_bytes_; }
  std::size_t peak_bytes() const { return peak_bytes_; }
  void reset_peak() { peak_bytes_ = current_bytes_; }
  // Memory held outside the workspace's own buffers (e.g. a library's internal workspace that
  // attnbench hands to it) can be attributed here so the peak includes it.
  void account_external(std::ptrdiff_t delta_bytes);

 private:
  struct Buffer {
    void* ptr = nullptr;
    std::size_t bytes = 0;
  };
  Device device_;
  std::map<std::string, Buffer, std::less<>> buffers_;
  std::size_t current_bytes_ = 0;
  std::size_t peak_bytes_ = 0;
};

}  // namespace attn
