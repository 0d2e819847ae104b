// One file over HTTP(S) with libcurl, made robust: retries with exponential backoff on
// connection resets, timeouts, 5xx and 429 (Retry-After honoured), Range resume of a partial
// file, redirects followed here (not by curl) so the token goes only to the endpoint's origin.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "runtime/base/status.h"

namespace aae::hub {

struct TransferOptions {
  std::string endpoint;  // origin that may receive the token, e.g. "https://huggingface.co"
  std::string token;     // sent as "Authorization: Bearer" to the endpoint's origin only
  int max_attempts = 6;  // per file, counting the first
  std::chrono::milliseconds initial_backoff{1000};  // doubles per retry
  std::chrono::milliseconds max_backoff{30000};     // also caps Retry-After
  long connect_timeout_s = 15;
  long stall_timeout_s = 30;  // abort (and retry) when < 1 byte/s arrives for this long
  int max_redirects = 10;
};

struct FetchResult {
  long status = 0;     // final HTTP status (after redirects); 200 or 206 means the body arrived
  std::string body;    // fetch_to_memory only (and the start of an error body)
  std::string sha256;  // lowercase hex the hub announced (X-Linked-ETag, or a 64-hex ETag)
  std::string md5;     // fetch_to_file: md5 of the whole file, hashed while it streamed in
};

// GETs `url` into memory. Retryable failures are retried; a final 4xx comes back as a value
// (status set) so callers can tell "absent" (404) from "forbidden" (401/403).
Result<FetchResult> fetch_to_memory(const TransferOptions& options, const std::string& url);

// GETs `url` into `part_path`, resuming from the bytes already there (Range request). On
// success the file holds the whole body and FetchResult::md5 its digest (bytes already on
// disk are hashed first, so the md5 covers the whole file); it is never renamed here. `bytes_counter` (may be
// null) is advanced as bytes arrive (and set back when a server ignores the Range).
Result<FetchResult> fetch_to_file(const TransferOptions& options, const std::string& url,
                                  const std::filesystem::path& part_path,
                                  std::atomic<int64_t>* bytes_counter);

// "scheme://host:port" of a url, lowercase with the default port filled in; empty if unparsable.
std::string url_origin(const std::string& url);

}  // namespace aae::hub
