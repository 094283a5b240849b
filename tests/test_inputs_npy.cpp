// .npy read/write: exact float32 round trip, float16/float64 conversion, header versions, and a
// one-line "<path>: <reason>" error for every malformed file a user might hand us.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "inputs/npy.hpp"

namespace {

namespace fs = std::filesystem;

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("attn_npy_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes a .npy by hand: any version, any header text, any payload.
  std::string craft(const std::string& name, const std::string& header_dict, const std::string& payload,
                    int major = 1) {
    std::string header = header_dict;
    const size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64 != 0) header.push_back(' ');
    header.push_back('\n');
    std::string bytes = "\x93NUMPY";
    bytes.push_back(static_cast<char>(major));
    bytes.push_back(0);
    const size_t len_bytes = major == 1 ? 2 : 4;
    for (size_t i = 0; i < len_bytes; ++i) bytes.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
    bytes += header + payload;
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

  template <class T>
  static std::string payload_of(const std::vector<T>& values) {
    std::string out(values.size() * sizeof(T), '\0');
    std::memcpy(out.data(), values.data(), out.size());
    return out;
  }

  // Expects read_npy to fail with a message that starts with the path and contains `fragment`.
  void expect_rejected(const std::string& p, const std::string& fragment) {
    try {
      attn::read_npy(p);
      FAIL() << "read_npy accepted " << p << " (expected: " << fragment << ")";
    } catch (const attn::UsageError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(p + ": ", 0), 0u) << msg;
      EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "error must be one line: " << msg;
    }
  }

  fs::path dir_;
};

TEST_F(NpyTest, Float32RoundTripIsExact) {
  std::vector<float> data(2 * 3 * 5 * 7);
  for (size_t i = 0; i < data.size(); ++i) data[i] = std::ldexp(static_cast<float>(i) - 100.3f, static_cast<int>(i % 9) - 4);
  data[3] = std::numeric_limits<float>::denorm_min();
  data[4] = -0.0f;
  const std::string p = path("x.npy");
  attn::write_npy(p, data.data(), {2, 3, 5, 7});
  const attn::NpyArray a = attn::read_npy(p);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3, 5, 7}));
  ASSERT_EQ(a.data.size(), data.size());
  EXPECT_EQ(std::memcmp(a.data.data(), data.data(), data.size() * sizeof(float)), 0);
  EXPECT_TRUE(std::signbit(a.data[4]));
  // NumPy's layout: data starts 64-byte aligned, header ends with '\n', no temp file left behind.
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const size_t data_start = bytes.size() - data.size() * sizeof(float);
  EXPECT_EQ(data_start % 64, 0u);
  EXPECT_EQ(bytes[data_start - 1], '\n');
  EXPECT_NE(bytes.find("'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 5, 7)"), std::string::npos);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(NpyTest, OneDimensionalShapeUsesPythonTupleSyntax) {
  const std::vector<float> data = {1, 2, 3};
  attn::write_npy(path("v.npy"), data.data(), {3});
  std::ifstream in(path("v.npy"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(bytes.find("'shape': (3,)"), std::string::npos);
  EXPECT_EQ(attn::read_npy(path("v.npy")).data, data);
}

TEST_F(NpyTest, Float16IsConvertedExactly) {
  // bit pattern -> value, covering normals, the largest half, subnormals, zeros and infinities.
  const std::vector<std::pair<uint16_t, float>> cases = {
      {0x3c00, 1.0f},       {0xc000, -2.0f},           {0x7bff, 65504.0f},         {0x0001, std::ldexp(1.0f, -24)},
      {0x03ff, 1023.0f * std::ldexp(1.0f, -24)},       {0x0400, std::ldexp(1.0f, -14)}, {0x3555, 0.333251953125f},
      {0x0000, 0.0f},       {0x8000, -0.0f},           {0x7c00, std::numeric_limits<float>::infinity()},
      {0xfc00, -std::numeric_limits<float>::infinity()}, {0x8200, -512.0f * std::ldexp(1.0f, -24)}};
  std::vector<uint16_t> bits;
  for (const auto& c : cases) bits.push_back(c.first);
  bits.push_back(0x7e00);  // NaN
  const std::string p = craft("h.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (13,), }", payload_of(bits));
  const attn::NpyArray a = attn::read_npy(p);
  ASSERT_EQ(a.data.size(), 13u);
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(a.data[i]), std::bit_cast<uint32_t>(cases[i].second))
        << "half 0x" << std::hex << cases[i].first << " -> " << a.data[i];
  }
  EXPECT_TRUE(std::isnan(a.data[12]));
}

TEST_F(NpyTest, Float64IsRoundedToFloat32) {
  const std::vector<double> values = {0.1, -1e-3, 3.0, 1e30, 1.0 / 3.0, 2.0 + 1e-12};
  const std::string p = craft("d.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", payload_of(values));
  const attn::NpyArray a = attn::read_npy(p);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(a.data[i], static_cast<float>(values[i]));
}

TEST_F(NpyTest, ReadsVersions2And3AndDoubleQuotes) {
  const std::vector<float> values = {1.5f, -2.5f};
  for (int major : {2, 3}) {
    const std::string p = craft("v" + std::to_string(major) + ".npy",
                                "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 2)}", payload_of(values), major);
    const attn::NpyArray a = attn::read_npy(p);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(a.data, values);
  }
}

TEST_F(NpyTest, ScalarAndEmptyShapes) {
  const std::vector<float> one = {7.0f};
  EXPECT_EQ(attn::read_npy(craft("s.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", payload_of(one))).data,
            one);
  const attn::NpyArray e = attn::read_npy(craft("e.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 64), }", ""));
  EXPECT_EQ(e.shape, (std::vector<int64_t>{0, 64}));
  EXPECT_TRUE(e.data.empty());
}

TEST_F(NpyTest, RejectsTruncatedData) {
  const std::vector<float> values(7, 1.0f);  // shape says 8
  expect_rejected(craft("t.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", payload_of(values)),
                  "truncated data");
}

TEST_F(NpyTest, RejectsTrailingBytes) {
  const std::vector<float> values(9, 1.0f);  // shape says 8
  expect_rejected(craft("t.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", payload_of(values)),
                  "unexpected bytes after the data");
}

TEST_F(NpyTest, RejectsWrongDtype) {
  const std::vector<int32_t> values(4, 1);
  expect_rejected(craft("i.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", payload_of(values)),
                  "unsupported dtype '<i4'");
}

TEST_F(NpyTest, RejectsBigEndian) {
  const std::vector<float> values(4, 1.0f);
  expect_rejected(craft("b.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", payload_of(values)),
                  "big-endian dtype '>f4'");
}

TEST_F(NpyTest, RejectsFortranOrder) {
  const std::vector<float> values(4, 1.0f);
  expect_rejected(craft("f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", payload_of(values)),
                  "fortran_order True");
}

TEST_F(NpyTest, RejectsAbsurdShapesBeforeAllocating) {
  const std::vector<float> values(64, 1.0f);
  // 2.56e14 bytes claimed: must fail on the size check, not in an allocation.
  expect_rejected(craft("a.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 64), }",
                        payload_of(values)),
                  "needs 256000000000000 bytes");
  expect_rejected(craft("o.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                        payload_of(values)),
                  "element count overflows");
  expect_rejected(craft("o2.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
                        payload_of(values)),
                  "overflows 64 bits");
}

TEST_F(NpyTest, RejectsNegativeShape) {
  const std::vector<float> values(64, 1.0f);
  expect_rejected(craft("n.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 64), }", payload_of(values)),
                  "negative dimension");
}

TEST_F(NpyTest, RejectsGarbage) {
  const std::string bad_magic = path("m.npy");
  std::ofstream(bad_magic, std::ios::binary) << "PK\x03\x04 this is a zip file, not an array";
  expect_rejected(bad_magic, "bad magic");

  const std::string tiny = path("tiny.npy");
  std::ofstream(tiny, std::ios::binary) << "\x93NU";
  expect_rejected(tiny, "too short");

  expect_rejected(craft("g.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,) oops", "0123456789abcdef"),
                  "malformed header");
  expect_rejected(craft("k.npy", "{'descr': '<f4', 'shape': (4,), }", "0123456789abcdef"), "needs 'descr'");
  expect_rejected(craft("s.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", "0123456789abcdef"),
                  "structured");
  expect_rejected(craft("u.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'extra': 1}", "0123456789abcdef"),
                  "unexpected key 'extra'");

  // A header length that points past the end of the file.
  const std::string long_header = path("l.npy");
  std::ofstream(long_header, std::ios::binary) << std::string("\x93NUMPY\x01\x00\xff\xff{'descr'", 18);
  expect_rejected(long_header, "truncated header");

  std::string v9 = "\x93NUMPY";
  v9 += std::string("\x09\x00\x10\x00", 4) + std::string(16, ' ');
  std::ofstream(path("v9.npy"), std::ios::binary) << v9;
  expect_rejected(path("v9.npy"), "unsupported .npy version 9.0");
}

TEST_F(NpyTest, MissingFileAndUnwritablePath) {
  expect_rejected(path("does_not_exist.npy"), "cannot read");
  const std::vector<float> values = {1.0f};
  const std::string bad = path("no_such_dir/x.npy");
  try {
    attn::write_npy(bad, values.data(), {1});
    FAIL() << "write_npy wrote into a missing folder";
  } catch (const attn::UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(bad + ": cannot write", 0), 0u) << e.what();
  }
}

}  // namespace
