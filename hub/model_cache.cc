#include "hub/model_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "runtime/base/md5.h"
#include "runtime/format/chat_config.h"
#include "runtime/format/tensor_cache.h"

namespace aae::hub {
namespace fs = std::filesystem;

Status check_cached_model(const fs::path& dir, bool verify_md5) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error("not cached: " + dir.string() + " is absent");
  auto config = read_chat_config(dir.string());
  if (!config.ok()) return Error(config.error()).context("cached model " + dir.string() + " is incomplete");
  for (const std::string& name : config->tokenizer_files) {
    if (!fs::is_regular_file(dir / name, ec))
      return Error("cached model " + dir.string() + " is incomplete: tokenizer file " + name + " is missing");
  }
  auto cache = read_tensor_cache(dir.string());
  if (!cache.ok()) return Error(cache.error()).context("cached model " + dir.string() + " is incomplete");
  std::vector<std::string> problems;
  Status shards = check_shard_files(*cache, dir.string(), verify_md5, &problems);
  if (!shards.ok()) {
    return Error(shards.error())
        .context("cached model " + dir.string() + " is damaged",
                 "rerun with SPHERE_AAE_DOWNLOAD_CACHE_POLICY=REDO to download it again");
  }
  return ok_status();
}

Result<FileDigests> digest_file(const fs::path& path, bool with_sha256) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return Error("cannot open " + path.string() + ": " + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> sha(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!sha || EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr) != 1)
    return Error("cannot initialise sha256");
  Md5 md5;
  FileDigests out;
  std::vector<char> buffer(1 << 20);
  while (true) {
    size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
    if (n > 0) {
      md5.update(buffer.data(), n);
      if (with_sha256) EVP_DigestUpdate(sha.get(), buffer.data(), n);
      out.size += static_cast<int64_t>(n);
    }
    if (n < buffer.size()) {
      if (std::ferror(file.get())) return Error("cannot read " + path.string());
      break;
    }
  }
  out.md5 = md5.hex_digest();
  if (!with_sha256) return out;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(sha.get(), digest, &length);
  static const char* hex = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    out.sha256 += hex[digest[i] >> 4];
    out.sha256 += hex[digest[i] & 15];
  }
  return out;
}

Status promote_directory(const fs::path& staging, const fs::path& final_dir) {
  std::error_code ec;
  fs::create_directories(final_dir.parent_path(), ec);
  fs::path old_copy;
  if (fs::exists(final_dir, ec)) {
    old_copy = final_dir.string() + ".old-" + std::to_string(::getpid());
    fs::rename(final_dir, old_copy, ec);
    if (ec) return Error("cannot move " + final_dir.string() + " aside: " + ec.message());
  }
  fs::rename(staging, final_dir, ec);
  if (ec) {
    if (!old_copy.empty()) fs::rename(old_copy, final_dir, ec);
    return Error("cannot move the finished download into " + final_dir.string() + ": " + ec.message());
  }
  // Persist the rename before reporting success.
  int dir_fd = ::open(final_dir.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  if (!old_copy.empty()) fs::remove_all(old_copy, ec);
  return ok_status();
}

}  // namespace aae::hub
