// NumPy .npy reader and writer. The format (numpy/lib/format.py): 6-byte magic "\x93NUMPY", a
// major/minor version, a little-endian header length (2 bytes in 1.0, 4 bytes in 2.0/3.0), a Python
// dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...)}, then the raw data. Files come
// from users, so every field is checked and the file size is compared with the shape before any
// allocation: a corrupt header must give a one-line error, not a 200 GB allocation.
#include "inputs/npy.hpp"

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>
#include <unistd.h>

#include <fmt/format.h>

#include "core/error.hpp"

namespace attn {

// The data is stored little-endian; we copy bytes straight into floats.
static_assert(std::endian::native == std::endian::little, "npy.cpp assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

[[noreturn]] void fail(const std::string& path, std::string_view reason) {
  throw UsageError(fmt::format("{}: {}", path, reason));
}

struct NpyHeader {
  std::string descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<int64_t>> shape;
};

// Parses the header dict. NumPy writes it with repr(), so we accept exactly the literal forms repr()
// produces: quoted strings, True/False, and tuples of non-negative integers.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : s_(text), path_(path) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false;
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = parse_string();
      expect(':');
      if (key == "descr") {
        skip_ws();
        if (peek() != '\'' && peek() != '"') fail(path_, "unsupported dtype (structured arrays are not supported)");
        h.descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = parse_bool();
      } else if (key == "shape") {
        h.shape = parse_shape();
      } else {
        fail(path_, fmt::format("malformed header: unexpected key '{}'", key));
      }
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') garbage("expected ',' or '}'");
    }
    if (!have_descr || !h.fortran_order || !h.shape)
      fail(path_, "malformed header: needs 'descr', 'fortran_order' and 'shape'");
    return h;
  }

 private:
  [[noreturn]] void garbage(std::string_view what) {
    fail(path_, fmt::format("malformed header: {} at offset {}", what, pos_));
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  void expect(char c) {
    skip_ws();
    if (peek() != c) garbage(fmt::format("expected '{}'", c));
    ++pos_;
  }
  std::string parse_string() {
    skip_ws();
    const char quote = peek();
    if (quote != '\'' && quote != '"') garbage("expected a quoted string");
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) garbage("unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  bool parse_bool() {
    skip_ws();
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    garbage("expected True or False");
  }
  int64_t parse_dim() {
    skip_ws();
    if (peek() == '-') fail(path_, "negative dimension in shape");
    if (peek() < '0' || peek() > '9') garbage("expected a dimension");
    uint64_t x = 0;
    while (peek() >= '0' && peek() <= '9') {
      const uint64_t digit = static_cast<uint64_t>(peek() - '0');
      if (x > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - digit) / 10)
        fail(path_, "absurd shape: a dimension overflows 64 bits");
      x = x * 10 + digit;
      ++pos_;
    }
    if (peek() == 'L') ++pos_;  // Python 2 long literal
    return static_cast<int64_t>(x);
  }
  std::vector<int64_t> parse_shape() {
    expect('(');
    std::vector<int64_t> dims;
    while (true) {
      skip_ws();
      if (peek() == ')') break;
      dims.push_back(parse_dim());
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') garbage("expected ',' or ')' in shape");
    }
    ++pos_;
    return dims;
  }

  std::string_view s_;
  const std::string& path_;
  size_t pos_ = 0;
};

std::string shape_text(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

// IEEE binary16 -> binary32 by moving the fields; every half value is exactly representable.
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half = mant * 2^-24: normalise so the leading bit becomes the implicit one.
    const int p = std::bit_width(mant) - 1;  // position of the leading bit, 0..9
    mant = (mant << (23 - p)) & 0x7fffffu;
    bits = sign | (static_cast<uint32_t>(p + 103) << 23) | mant;
  }
  return std::bit_cast<float>(bits);
}

template <class Src, class Convert>
void convert_into(const std::vector<char>& raw, std::vector<float>& out, Convert convert) {
  for (size_t i = 0; i < out.size(); ++i) {
    Src x;
    std::memcpy(&x, raw.data() + i * sizeof(Src), sizeof(Src));
    out[i] = convert(x);
  }
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::error_code ec;
  const uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) fail(path, fmt::format("cannot read ({})", ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, fmt::format("cannot read ({})", std::strerror(errno)));

  char prefix[12] = {};
  if (file_size < 10 || !in.read(prefix, 10)) fail(path, "not a .npy file (too short)");
  if (std::memcmp(prefix, kMagic, kMagicLen) != 0) fail(path, "not a .npy file (bad magic)");
  const auto major = static_cast<uint8_t>(prefix[6]);
  const auto minor = static_cast<uint8_t>(prefix[7]);
  if (major < 1 || major > 3 || minor != 0) fail(path, fmt::format("unsupported .npy version {}.{}", major, minor));

  uint64_t header_len = 0;
  size_t prefix_len = 10;
  if (major == 1) {
    header_len = static_cast<uint8_t>(prefix[8]) | (static_cast<uint64_t>(static_cast<uint8_t>(prefix[9])) << 8);
  } else {
    prefix_len = 12;
    if (file_size < 12 || !in.read(prefix + 10, 2)) fail(path, "truncated header");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<uint64_t>(static_cast<uint8_t>(prefix[8 + i])) << (8 * i);
  }
  if (header_len > file_size - prefix_len)
    fail(path, fmt::format("truncated header ({} bytes announced, {} in the file)", header_len, file_size - prefix_len));
  std::string header(header_len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_len))) fail(path, "truncated header");

  const NpyHeader h = HeaderParser(header, path).parse();
  size_t item = 0;
  if (h.descr == "<f4") item = 4;
  else if (h.descr == "<f2") item = 2;
  else if (h.descr == "<f8") item = 8;
  else if (!h.descr.empty() && h.descr[0] == '>')
    fail(path, fmt::format("big-endian dtype '{}' is not supported (save with arr.astype('<f4'))", h.descr));
  else
    fail(path, fmt::format("unsupported dtype '{}' (expected '<f4', '<f2' or '<f8')", h.descr));
  if (*h.fortran_order) fail(path, "fortran_order True is not supported (save with np.ascontiguousarray)");

  // Element count, with overflow caught before anything is sized from it.
  uint64_t numel = 1;
  for (int64_t dim : *h.shape) {
    const auto d = static_cast<uint64_t>(dim);
    if (d != 0 && numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / item / d)
      fail(path, fmt::format("absurd shape {}: element count overflows", shape_text(*h.shape)));
    numel *= d;
  }
  const uint64_t data_bytes = numel * item;
  const uint64_t available = file_size - prefix_len - header_len;
  if (data_bytes > available)
    fail(path, fmt::format("truncated data: shape {} of '{}' needs {} bytes but the file holds {} after the header",
                           shape_text(*h.shape), h.descr, data_bytes, available));
  if (data_bytes < available)
    fail(path, fmt::format("{} unexpected bytes after the data of shape {}", available - data_bytes,
                           shape_text(*h.shape)));

  NpyArray out;
  out.shape = *h.shape;
  out.data.resize(numel);
  if (item == 4) {
    if (!in.read(reinterpret_cast<char*>(out.data.data()), static_cast<std::streamsize>(data_bytes)))
      fail(path, "truncated data");
    return out;
  }
  std::vector<char> raw(data_bytes);
  if (!in.read(raw.data(), static_cast<std::streamsize>(data_bytes))) fail(path, "truncated data");
  if (item == 2)
    convert_into<uint16_t>(raw, out.data, half_to_float);
  else
    convert_into<double>(raw, out.data, [](double x) { return static_cast<float>(x); });
  return out;
}

void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  uint64_t numel = 1;
  for (int64_t d : shape) {
    ATTN_CHECK(d >= 0, fmt::format("write_npy: negative dimension for {}", path));
    numel *= static_cast<uint64_t>(d);
  }
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}", shape_text(shape));
  // NumPy pads with spaces so the data starts 64-byte aligned; the header ends with a newline.
  const size_t unpadded = kMagicLen + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  ATTN_CHECK(header.size() <= 0xffff, "npy header too long for format 1.0");

  const std::string tmp = fmt::format("{}.tmp{}", path, static_cast<long>(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, fmt::format("cannot write ({})", std::strerror(errno)));
    const char version_and_len[4] = {1, 0, static_cast<char>(header.size() & 0xff),
                                     static_cast<char>((header.size() >> 8) & 0xff)};
    out.write(kMagic, kMagicLen);
    out.write(version_and_len, 4);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(numel * sizeof(float)));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      fail(path, "cannot write (write failed; disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    fail(path, fmt::format("cannot write ({})", ec.message()));
  }
}

}  // namespace attn
