// Objects and archives are produced in the test by clang/llvm-ar for ELF (x86_64, aarch64)
// and Mach-O (arm64-apple-ios); the reader's symbol lists are cross-checked with llvm-nm.
#include "compiler/object_reader.h"

#include <algorithm>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "compiler/toolchain.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using testing::run_command;
using testing::shell_quote;

constexpr const char* kProbeSource = R"(
extern "C" {
extern const char probe_blob[];
const char probe_blob[] = "hello-blob";
extern const char probe_after[];
const char probe_after[] = "zz";
int probe_import(int);
int probe_call(int x) { return probe_import(x) + 1; }
static int probe_local(int x) { return x * 3; }
int probe_use_local(int x) { return probe_local(x); }
__attribute__((visibility("hidden"))) int probe_hidden(int x) { return x - 1; }
}
)";

bool have_tools() {
  return run_command("clang++ --version").exit_code == 0 &&
         run_command("llvm-ar --version").exit_code == 0 &&
         run_command("llvm-nm --version").exit_code == 0;
}

#define REQUIRE_LLVM_TOOLS()                                                              \
  if (!have_tools()) GTEST_SKIP() << "clang++, llvm-ar or llvm-nm not on PATH; install " \
                                     "clang and llvm to run the object-reader tests"

std::string compile_probe(const testing::ScratchDir& dir, const std::string& triple,
                          const std::string& stem) {
  const auto src = dir / "probe.cc";
  testing::write_file(src, kProbeSource);
  const std::string obj = (dir / (stem + ".o")).string();
  const auto r = run_command("clang++ --target=" + triple +
                             " -O2 -ffreestanding -nostdlibinc -fno-stack-protector -c " +
                             shell_quote(src.string()) + " -o " + shell_quote(obj));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return obj;
}

std::set<std::string> nm_names(const std::string& flags, const std::string& path) {
  const auto r = run_command("llvm-nm -j " + flags + " " + shell_quote(path));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> names;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) names.insert(line);
  }
  return names;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

void expect_matches_nm(const std::string& path, const ObjectFile& obj) {
  EXPECT_EQ(as_set(obj.defined_globals()), nm_names("-g --defined-only", path)) << path;
  EXPECT_EQ(as_set(obj.undefined()), nm_names("-u", path)) << path;
}

struct Case {
  const char* triple;
  const char* architecture;
  ObjectFormat format;
  const char* prefix;  // Mach-O symbols carry a leading underscore
};

const Case kCases[] = {
    {"x86_64-linux-gnu", "x86_64", ObjectFormat::kElf, ""},
    {"aarch64-linux-gnu", "aarch64", ObjectFormat::kElf, ""},
    {"arm64-apple-ios15.0", "aarch64", ObjectFormat::kMachO, "_"},
};

TEST(ObjectReader, ListsSymbolsOfObjectsLikeLlvmNm) {
  REQUIRE_LLVM_TOOLS();
  for (const Case& c : kCases) {
    testing::ScratchDir dir;
    const std::string obj_path = compile_probe(dir, c.triple, "probe");
    auto objects = read_objects(obj_path);
    ASSERT_TRUE(objects.ok()) << objects.error().to_string();
    ASSERT_EQ(objects->size(), 1u);
    const ObjectFile& obj = objects->front();
    EXPECT_EQ(obj.format, c.format) << c.triple;
    EXPECT_EQ(obj.architecture, c.architecture) << c.triple;
    expect_matches_nm(obj_path, obj);
    const std::string prefix = c.prefix;
    EXPECT_EQ(obj.undefined(), std::vector<std::string>{prefix + "probe_import"}) << c.triple;
    const auto exported = as_set(obj.exported());
    EXPECT_EQ(exported.count(prefix + "probe_hidden"), 0u) << c.triple;
    EXPECT_EQ(as_set(obj.defined_globals()).count(prefix + "probe_hidden"), 1u) << c.triple;
    EXPECT_EQ(exported.count(prefix + "probe_call"), 1u) << c.triple;
    auto blob = symbol_bytes(obj, prefix + "probe_blob");
    ASSERT_TRUE(blob.ok()) << blob.error().to_string();
    // ELF: exactly st_size; Mach-O: bounded by the next symbol or the section end.
    ASSERT_GE(blob->size(), 11u) << c.triple;
    EXPECT_EQ(blob->substr(0, 11), std::string("hello-blob\0", 11)) << c.triple;
    if (c.format == ObjectFormat::kElf) {
      EXPECT_EQ(blob->size(), 11u);
    }
    EXPECT_FALSE(symbol_bytes(obj, prefix + "probe_import").ok());  // undefined
    EXPECT_FALSE(symbol_bytes(obj, "no_such_symbol").ok());
  }
}

TEST(ObjectReader, ReadsGnuAndDarwinArchives) {
  REQUIRE_LLVM_TOOLS();
  for (const Case& c : kCases) {
    testing::ScratchDir dir;
    // A member name longer than 15 characters exercises the GNU "//" table and BSD "#1/NN".
    const std::string a = compile_probe(dir, c.triple, "probe_with_a_long_member_name");
    const std::string format = c.format == ObjectFormat::kMachO ? "darwin" : "gnu";
    const std::string archive = (dir / "libprobe.a").string();
    const auto r = run_command("cd " + shell_quote(dir.path().string()) +
                               " && llvm-ar --format=" + format + " rcs libprobe.a " +
                               "probe_with_a_long_member_name.o");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto objects = read_objects(archive);
    ASSERT_TRUE(objects.ok()) << objects.error().to_string();
    ASSERT_EQ(objects->size(), 1u) << c.triple;
    EXPECT_NE(objects->front().label.find("probe_with_a_long_member_name.o"), std::string::npos)
        << objects->front().label;
    expect_matches_nm(a, objects->front());
    auto blob = find_symbol_bytes(*objects, std::string(c.prefix) + "probe_blob");
    ASSERT_TRUE(blob.ok()) << blob.error().to_string();
    EXPECT_EQ(blob->substr(0, 10), "hello-blob");
  }
}

TEST(ObjectReader, ReadsSharedObjectSymbols) {
  REQUIRE_LLVM_TOOLS();
  testing::ScratchDir dir;
  const std::string obj = compile_probe(dir, "x86_64-linux-gnu", "probe");
  const std::string so = (dir / "libprobe.so").string();
  const auto r = run_command("clang++ --target=x86_64-linux-gnu -shared -nostdlib " +
                             shell_quote(obj) + " -o " + shell_quote(so));
  if (r.exit_code != 0) GTEST_SKIP() << "cannot link a shared object here: " << r.output;
  auto objects = read_objects(so);
  ASSERT_TRUE(objects.ok()) << objects.error().to_string();
  ASSERT_TRUE(objects->front().shared_object);
  auto blob = symbol_bytes(objects->front(), "probe_blob");
  ASSERT_TRUE(blob.ok()) << blob.error().to_string();
  EXPECT_EQ(*blob, std::string("hello-blob\0", 11));
}

TEST(ObjectReader, RejectsGarbageAndTruncation) {
  EXPECT_FALSE(parse_objects("not an object at all, clearly", "x").ok());
  std::string elf_head = std::string("\x7f" "ELF\x02\x01\x01", 7) + std::string(57, '\0');
  elf_head[0x3a] = 64;  // shentsize
  elf_head[0x3c] = 5;   // 5 sections, but the table lies past the end
  elf_head[0x28] = 0x40;
  auto r = parse_objects(elf_head, "trunc.o");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("trunc.o"), std::string::npos);
  auto bad_ar = parse_objects("!<arch>\nshort", "bad.a");
  EXPECT_TRUE(!bad_ar.ok() || bad_ar->empty());
}

}  // namespace
}  // namespace aae
