// One thread count for OpenMP and OpenBLAS. Two pools spinning on two cores make timings bimodal
// (shared/notes), so BLAS runs single-threaded inside OpenMP-parallel regions and multi-threaded
// outside them.
#pragma once

namespace attn {

// Sets OpenMP's and BLAS's thread counts (t <= 0 means all hardware threads). Returns the count set.
int set_threads(int t);
int configured_threads();
int hardware_threads();

// Within its lifetime BLAS uses one thread; use around OpenMP regions whose body calls BLAS.
class BlasSingleThreaded {
 public:
  BlasSingleThreaded();
  ~BlasSingleThreaded();
  BlasSingleThreaded(const BlasSingleThreaded&) = delete;
  BlasSingleThreaded& operator=(const BlasSingleThreaded&) = delete;

 private:
  int saved_;
};

}  // namespace attn
