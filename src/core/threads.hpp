// One thread count for OpenMP and OpenBLAS. Two pools spinning on two cores make timings bimodal
// (shared/notes), so BLAS runs single-threaded inside OpenMP-parallel regions and multi-threaded
// outside them.
#pragma once

namespace attn {

// Sets OpenMP's and BLAS's thread counts (t <= 0 means all hardware threads). Returns the count set.
int set_threads(int t);
int configured_threads();
int hardware_threads();

// OpenMP's idle threads spin by default, and on a 2-core machine they then compete with OpenBLAS's
// own pool: exact attention at N=1024 measured 51 ms instead of 7.6 ms. libgomp reads
// OMP_WAIT_POLICY only at start-up, so when it is unset this sets it to PASSIVE and re-executes the
// program (argv unchanged). Returns only if it did not re-execute (already set, or exec failed).
void ensure_passive_openmp(char** argv);
// The OMP_WAIT_POLICY in effect (recorded in reports), or "unset".
const char* omp_wait_policy();

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
