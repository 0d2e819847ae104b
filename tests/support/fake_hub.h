// A tiny HTTP/1.1 server on a loopback address for download tests. It serves files by URL path,
// records every request (with Range and Authorization headers) and misbehaves on demand.
// One thread accepts; each connection gets its own thread; every response closes the connection.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/base/md5.h"

namespace aae::testing {

struct FakeRequest {
  std::string path;
  std::string range;          // the Range header, or empty
  std::string authorization;  // the Authorization header, or empty
};

struct FakeFault {
  enum class Kind {
    kResetAfter,  // send headers and `bytes` body bytes, then reset the connection (RST)
    kTruncate,    // announce the full length, send `bytes`, then close cleanly
    kStatus,      // answer `status` (500, 429, ...) with Retry-After `retry_after_s` if >= 0
    kStall,       // send `bytes`, then nothing until the client gives up
    kWrongBytes,  // serve the file with its first byte flipped
    kRedirect,    // 302 to `location` + the same path
    kThrottle,    // serve the file `bytes` at a time, 10 ms apart (a slow download)
  };
  Kind kind = Kind::kStatus;
  int times = 1;  // how many requests this fault applies to; -1 = forever
  size_t bytes = 0;
  int status = 500;
  int retry_after_s = -1;
  std::string location;
  std::string linked_etag;  // for kRedirect: X-Linked-ETag on the 302

  static FakeFault make(Kind kind, int times, size_t bytes = 0) {
    FakeFault fault;
    fault.kind = kind;
    fault.times = times;
    fault.bytes = bytes;
    return fault;
  }
  static FakeFault http_status(int status, int times, int retry_after_s = -1) {
    FakeFault fault = make(Kind::kStatus, times);
    fault.status = status;
    fault.retry_after_s = retry_after_s;
    return fault;
  }
  static FakeFault redirect(std::string location, std::string linked_etag = {}) {
    FakeFault fault = make(Kind::kRedirect, -1);
    fault.location = std::move(location);
    fault.linked_etag = std::move(linked_etag);
    return fault;
  }
};

// The files of a small converted model (chat config, tokenizer.json, tensor-cache.json with
// md5s, `shards` shards of `shard_bytes` each), by file name. Header-only: tests using it link
// aae_runtime for the md5.
inline std::map<std::string, std::string> tiny_converted_model(int shards, size_t shard_bytes) {
  std::map<std::string, std::string> files;
  files["sphere-aae-chat-config.json"] =
      R"({"model_type": "llama", "quantization": "q0f16", "vocab_size": 32,
          "model_config": {"hidden_size": 8}, "tokenizer_files": ["tokenizer.json"]})";
  files["tokenizer.json"] = R"({"model": {"type": "BPE"}})";
  std::string records;
  for (int i = 0; i < shards; ++i) {
    std::string name = "params_shard_" + std::to_string(i) + ".bin";
    std::string bytes(shard_bytes, '\0');
    for (size_t j = 0; j < bytes.size(); ++j) bytes[j] = static_cast<char>((j * 31 + i * 7) & 0xff);
    Md5 md5;
    md5.update(bytes.data(), bytes.size());
    if (i) records += ",";
    records += R"({"dataPath": ")" + name + R"(", "format": "raw-shard", "nbytes": )" +
               std::to_string(shard_bytes) + R"(, "md5sum": ")" + md5.hex_digest() +
               R"(", "records": [{"name": "w)" + std::to_string(i) + R"(", "shape": [)" +
               std::to_string(shard_bytes / 2) + R"(], "dtype": "float16", "format": "raw", )" +
               R"("nbytes": )" + std::to_string(shard_bytes) + R"(, "byteOffset": 0}]})";
    files[name] = std::move(bytes);
  }
  files["tensor-cache.json"] = R"({"metadata": {"ParamSize": )" + std::to_string(shards) +
                               R"(}, "records": [)" + records + "]}";
  return files;
}

class FakeHub {
 public:
  // Binds `host` (e.g. "127.0.0.1" or "127.0.0.2") on an ephemeral port and starts serving.
  explicit FakeHub(const std::string& host = "127.0.0.1");
  ~FakeHub();  // stop()

  // "http://host:port" (no trailing slash). Empty if binding failed.
  std::string base_url() const { return base_url_; }
  void put(const std::string& path, std::string bytes);  // path starts with '/'
  void fault(const std::string& path, FakeFault fault);
  std::vector<FakeRequest> requests() const;
  void stop();

 private:
  void accept_loop();
  void serve(int fd);

  std::string base_url_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::map<std::string, std::string> files_;
  std::map<std::string, FakeFault> faults_;
  std::vector<FakeRequest> requests_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace aae::testing
