#include "hub/http_fetch.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <unistd.h>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/base/md5.h"

namespace aae::hub {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(std::string text) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

bool is_sha256_hex(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

// ETag values come quoted and sometimes weak: W/"abc".
std::string etag_value(std::string value) {
  value = trim(value);
  if (value.rfind("W/", 0) == 0) value = value.substr(2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  return lower(value);
}

// An md5 fed with every byte written to a part file, and how many bytes that is.
struct StreamHash {
  Md5 md5;
  int64_t bytes = 0;
  void reset() {
    md5 = Md5();
    bytes = 0;
  }
  void update(const char* data, size_t n) {
    md5.update(data, n);
    bytes += static_cast<int64_t>(n);
  }
};

// State of one request (one hop). Headers are reset at every status line.
struct Exchange {
  CURL* curl = nullptr;
  std::FILE* file = nullptr;   // file mode
  std::string* memory = nullptr;  // memory mode
  int64_t resume_from = 0;
  std::atomic<int64_t>* counter = nullptr;
  StreamHash* md5 = nullptr;  // file mode: fed every byte written
  bool decided = false;
  bool body_is_payload = false;  // a 200/206 body, as opposed to an error page
  std::string error_body;        // first bytes of a non-payload body
  long retry_after_s = -1;
  std::string linked_etag, etag;
  bool write_failed = false;
  // Stall detection: no new body byte for stall_timeout aborts the transfer (then retried).
  std::chrono::steady_clock::time_point last_progress = std::chrono::steady_clock::now();
  curl_off_t last_received = 0;
  std::chrono::seconds stall_timeout{30};
  bool stalled = false;
};

int on_progress(void* user, curl_off_t, curl_off_t received, curl_off_t, curl_off_t) {
  auto* ex = static_cast<Exchange*>(user);
  auto now = std::chrono::steady_clock::now();
  if (received != ex->last_received) {
    ex->last_received = received;
    ex->last_progress = now;
    return 0;
  }
  if (now - ex->last_progress > ex->stall_timeout) {
    ex->stalled = true;
    return 1;  // CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    ex->retry_after_s = -1;
    ex->etag.clear();
    return size * count;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  std::string name = lower(trim(line.substr(0, colon)));
  std::string value = trim(line.substr(colon + 1));
  if (name == "retry-after") {
    // Seconds only; an HTTP-date falls back to our own backoff.
    if (!value.empty() && std::all_of(value.begin(), value.end(), ::isdigit))
      ex->retry_after_s = std::stol(value);
  } else if (name == "x-linked-etag") {
    ex->linked_etag = etag_value(value);
  } else if (name == "etag") {
    ex->etag = etag_value(value);
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t n = size * count;
  if (!ex->decided) {
    ex->decided = true;
    long status = 0;
    curl_easy_getinfo(ex->curl, CURLINFO_RESPONSE_CODE, &status);
    ex->body_is_payload = status == 200 || status == 206;
    if (ex->body_is_payload && ex->file && status == 200 && ex->resume_from > 0) {
      // The server ignored our Range: start the file over.
      if (std::fflush(ex->file) != 0 || ::ftruncate(fileno(ex->file), 0) != 0) {
        ex->write_failed = true;
        return 0;
      }
      std::rewind(ex->file);
      if (ex->counter) *ex->counter -= ex->resume_from;
      if (ex->md5) ex->md5->reset();
      ex->resume_from = 0;
    }
  }
  if (!ex->body_is_payload) {
    if (ex->error_body.size() < 2048) ex->error_body.append(data, std::min<size_t>(n, 2048));
    return n;
  }
  if (ex->memory) {
    ex->memory->append(data, n);
  } else {
    if (std::fwrite(data, 1, n, ex->file) != n) {
      ex->write_failed = true;
      return 0;
    }
    if (ex->md5) ex->md5->update(data, n);
  }
  if (ex->counter) *ex->counter += static_cast<int64_t>(n);
  return n;
}

struct CurlHandle {
  CURL* curl = curl_easy_init();
  ~CurlHandle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

struct HopOutcome {
  CURLcode code = CURLE_OK;
  long status = 0;
  long retry_after_s = -1;
  std::string error_body;
  bool write_failed = false;
};

// One GET, following redirects by hand. Fills result->sha256 from any hop's X-Linked-ETag.
HopOutcome get_following_redirects(CurlHandle& handle, const TransferOptions& options,
                                   std::string url, std::FILE* file, std::string* memory,
                                   int64_t resume_from, std::atomic<int64_t>* counter,
                                   StreamHash* md5, FetchResult* result) {
  const std::string token_origin = url_origin(options.endpoint);
  HopOutcome out;
  for (int hop = 0; hop <= options.max_redirects; ++hop) {
    CURL* curl = handle.curl;
    curl_easy_reset(curl);
    Exchange ex;
    ex.curl = curl;
    ex.file = file;
    ex.memory = memory;
    ex.resume_from = resume_from;
    ex.counter = counter;
    ex.md5 = md5;
    curl_slist* headers = nullptr;
    std::string auth;
    if (!options.token.empty() && !token_origin.empty() && url_origin(url) == token_origin) {
      auth = "Authorization: Bearer " + options.token;
      headers = curl_slist_append(headers, auth.c_str());
    }
    std::string range = std::to_string(resume_from) + "-";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (resume_from > 0) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
    ex.stall_timeout = std::chrono::seconds(std::max(1L, options.stall_timeout_s));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &ex);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);  // fewer, larger writes
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "sphere_aae");
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex);
    out.code = curl_easy_perform(curl);
    if (out.code == CURLE_ABORTED_BY_CALLBACK && ex.stalled) out.code = CURLE_OPERATION_TIMEDOUT;
    curl_slist_free_all(headers);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
    out.retry_after_s = ex.retry_after_s;
    out.error_body = ex.error_body;
    out.write_failed = ex.write_failed;
    if (!ex.linked_etag.empty() && is_sha256_hex(ex.linked_etag)) result->sha256 = ex.linked_etag;
    if (out.code != CURLE_OK || out.status < 300 || out.status >= 400) {
      if (out.code == CURLE_OK && (out.status == 200 || out.status == 206) &&
          result->sha256.empty() && is_sha256_hex(ex.etag)) {
        result->sha256 = ex.etag;
      }
      return out;
    }
    char* location = nullptr;
    curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
    if (!location) return out;  // a 3xx without Location: report it as is
    url = location;
  }
  out.code = CURLE_TOO_MANY_REDIRECTS;
  return out;
}

bool retryable_curl_code(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool retryable_status(long status) { return status == 408 || status == 429 || status >= 500; }

std::string describe(const HopOutcome& hop) {
  if (hop.code != CURLE_OK) return curl_easy_strerror(hop.code);
  std::string text = "HTTP " + std::to_string(hop.status);
  std::string snippet = hop.error_body.substr(0, 200);
  for (char& c : snippet)
    if (c == '\n' || c == '\r') c = ' ';
  if (!snippet.empty()) text += " (" + snippet + ")";
  return text;
}

// The retry loop shared by both fetch modes. `prepare` (re)opens the sink before each attempt
// and returns the resume offset.
template <typename Prepare>
Result<FetchResult> fetch_with_retries(const TransferOptions& options, const std::string& url,
                                       Prepare prepare, std::string* memory,
                                       std::atomic<int64_t>* counter, StreamHash* md5) {
  global_init_once();
  CurlHandle handle;
  if (!handle.curl) return Error("cannot initialise libcurl");
  std::chrono::milliseconds backoff = options.initial_backoff;
  std::string last_problem;
  bool start_over = false;  // the server refused our Range (416): drop the partial file
  for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
    FetchResult result;
    std::FILE* file = nullptr;
    int64_t resume_from = 0;
    AAE_TRY(prepare(&file, &resume_from, start_over));
    start_over = false;
    HopOutcome hop = get_following_redirects(handle, options, url, file, memory, resume_from,
                                             counter, md5, &result);
    if (file && std::fclose(file) != 0) hop.write_failed = true;
    if (hop.write_failed) return Error("cannot write the download of " + url + " to disk");
    bool payload = hop.status == 200 || hop.status == 206;
    if (hop.code == CURLE_OK && payload) {
      result.status = hop.status;
      if (memory) result.body = *memory;
      if (md5) result.md5 = md5->md5.hex_digest();
      return result;
    }
    if (hop.code == CURLE_OK && hop.status == 416 && resume_from > 0) {
      last_problem = describe(hop);
      start_over = true;
      continue;
    }
    bool retry = hop.code != CURLE_OK ? retryable_curl_code(hop.code) : retryable_status(hop.status);
    if (!retry) {
      if (hop.code == CURLE_OK) {  // a definitive HTTP answer (404, 401, ...): the caller decides
        result.status = hop.status;
        result.body = hop.error_body;
        return result;
      }
      return Error("download of " + url + " failed: " + describe(hop));
    }
    last_problem = describe(hop);
    if (attempt == options.max_attempts) break;
    std::chrono::milliseconds wait = backoff;
    if (hop.retry_after_s >= 0) wait = std::chrono::seconds(hop.retry_after_s);
    std::this_thread::sleep_for(std::min(wait, options.max_backoff));
    backoff = std::min(backoff * 2, options.max_backoff);
  }
  return Error("download of " + url + " failed after " + std::to_string(options.max_attempts) +
                   " attempts: " + last_problem,
               "check the network or the hub's status; rerunning resumes where it stopped");
}

}  // namespace

std::string url_origin(const std::string& url) {
  CURLU* handle = curl_url();
  std::string origin;
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char *scheme = nullptr, *host = nullptr, *port = nullptr;
    if (curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
      origin = lower(std::string(scheme) + "://" + host + ":" + port);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(handle);
  return origin;
}

Result<FetchResult> fetch_to_memory(const TransferOptions& options, const std::string& url) {
  std::string body;
  auto prepare = [&body](std::FILE** file, int64_t* resume_from, bool) -> Status {
    body.clear();
    *file = nullptr;
    *resume_from = 0;
    return ok_status();
  };
  return fetch_with_retries(options, url, prepare, &body, nullptr, nullptr);
}

Result<FetchResult> fetch_to_file(const TransferOptions& options, const std::string& url,
                                  const std::filesystem::path& part_path,
                                  std::atomic<int64_t>* bytes_counter) {
  StreamHash hash;
  auto prepare = [&](std::FILE** file, int64_t* resume_from, bool start_over) -> Status {
    std::error_code ec;
    int64_t have = static_cast<int64_t>(std::filesystem::file_size(part_path, ec));
    if (ec || start_over) have = 0;
    *file = std::fopen(part_path.c_str(), have > 0 ? "ab+" : "wb");
    if (!*file) return Error("cannot open " + part_path.string() + " for writing");
    if (hash.bytes != have) {
      // Bytes from an earlier run: hash what is on disk before appending to it.
      hash.reset();
      std::rewind(*file);
      std::vector<char> buffer(1 << 20);
      while (hash.bytes < have) {
        size_t want = static_cast<size_t>(std::min<int64_t>(have - hash.bytes, buffer.size()));
        size_t n = std::fread(buffer.data(), 1, want, *file);
        if (n == 0) break;
        hash.update(buffer.data(), n);
      }
      if (hash.bytes != have) {
        std::fclose(*file);
        *file = nullptr;
        return Error("cannot read back " + part_path.string());
      }
      std::fseek(*file, 0, SEEK_END);
    }
    *resume_from = have;
    return ok_status();
  };
  return fetch_with_retries(options, url, prepare, nullptr, bytes_counter, &hash);
}

}  // namespace aae::hub
