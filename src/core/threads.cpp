#include "core/threads.hpp"

#include <omp.h>

#include <unistd.h>

#include <cstdlib>
#include <thread>

extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}

namespace attn {

namespace {
int g_threads = 0;
}

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int set_threads(int t) {
  if (t <= 0) t = hardware_threads();
  g_threads = t;
  omp_set_num_threads(t);
  openblas_set_num_threads(t);
  return t;
}

int configured_threads() { return g_threads > 0 ? g_threads : set_threads(0); }

void ensure_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc): run on with the default policy; the report records it.
  ::unsetenv("OMP_WAIT_POLICY");
}

const char* omp_wait_policy() {
  const char* p = std::getenv("OMP_WAIT_POLICY");
  return p != nullptr ? p : "unset";
}

BlasSingleThreaded::BlasSingleThreaded() : saved_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
BlasSingleThreaded::~BlasSingleThreaded() { openblas_set_num_threads(saved_); }

}  // namespace attn
