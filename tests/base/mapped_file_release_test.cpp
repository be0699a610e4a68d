// release_mapped_pages: drops a live file mapping's resident pages (RssFile falls)
// while the bytes stay readable; refuses memory that is not a file mapping (heap
// memory would be zeroed) and ranges that run past a mapping.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "base/mapped_file.h"

namespace qvl {
namespace {

long long rss_file_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("RssFile:", 0) == 0) return std::stoll(line.substr(8));
  return -1;
}

TEST(MappedFileReleaseTest, DropsResidentPagesKeepsBytes) {
  const std::string path = testing::TempDir() + "qvl_release_" + std::to_string(::getpid()) + ".bin";
  const size_t n = size_t(32) << 20;  // 32 MiB
  {
    std::vector<uint8_t> bytes(n);
    for (size_t i = 0; i < n; ++i) bytes[i] = uint8_t(i * 131 + (i >> 12));
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(n));
  }
  MappedFile f(path);
  ASSERT_EQ(f.size(), n);
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i += 64) sum += f.data()[i];
  const long long touched = rss_file_kb();
  ASSERT_GT(touched, 0);
  EXPECT_TRUE(release_mapped_pages(f.data(), n));
  const long long released = rss_file_kb();
  EXPECT_GT(touched - released, 24 * 1024) << "RssFile " << touched << " kB -> " << released << " kB";
  uint64_t again = 0;
  for (size_t i = 0; i < n; i += 64) again += f.data()[i];
  EXPECT_EQ(again, sum);
  EXPECT_EQ(f.data()[12345], uint8_t(12345 * 131 + (12345 >> 12)));
  EXPECT_FALSE(release_mapped_pages(f.data() + 1, n));  // runs past the mapping
  std::vector<uint8_t> heap(1 << 20, 7);
  EXPECT_FALSE(release_mapped_pages(heap.data(), heap.size()));
  EXPECT_EQ(heap[4096 * 3], 7);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace qvl
