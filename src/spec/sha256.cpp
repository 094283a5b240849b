// SHA-256 through OpenSSL's EVP interface: the spec's fingerprint in every report, so `merge` and
// `compare` can tell whether two runs used the same spec.
#include <openssl/evp.h>

#include <fmt/format.h>

#include "core/error.hpp"
#include "spec/spec.hpp"

namespace attn {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  ATTN_CHECK(ok == 1 && len == 32, "EVP_Digest(SHA-256) failed");
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace attn
