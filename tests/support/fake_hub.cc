#include "tests/support/fake_hub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace aae::testing {
namespace {

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

void reset_connection(int fd) {
  linger lin{1, 0};  // close with RST
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
}

}  // namespace

FakeHub::FakeHub(const std::string& host) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  base_url_ = "http://" + host + ":" + std::to_string(ntohs(addr.sin_port));
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeHub::~FakeHub() { stop(); }

void FakeHub::put(const std::string& path, std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  files_[path] = std::move(bytes);
}

void FakeHub::fault(const std::string& path, FakeFault fault) {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_[path] = std::move(fault);
}

std::vector<FakeRequest> FakeHub::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void FakeHub::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& thread : threads_) thread.join();
}

void FakeHub::accept_loop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeHub::serve(int fd) {
  // Read the request head.
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    head.append(buffer, static_cast<size_t>(n));
  }
  FakeRequest request;
  size_t line_end = head.find("\r\n");
  std::string first = head.substr(0, line_end);
  size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
  if (sp1 != std::string::npos && sp2 > sp1) request.path = first.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (name == "range") request.range = value;
      if (name == "authorization") request.authorization = value;
    }
    pos = end + 2;
  }

  std::string body;
  bool found = false;
  bool have_fault = false;
  FakeFault fault;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(request);
    auto file = files_.find(request.path);
    if (file != files_.end()) {
      found = true;
      body = file->second;
    }
    auto f = faults_.find(request.path);
    if (f != faults_.end() && f->second.times != 0) {
      have_fault = true;
      fault = f->second;
      if (f->second.times > 0) --f->second.times;
    }
  }

  auto respond = [&](int status, const std::string& reason, const std::string& extra,
                     const std::string& payload, size_t announce) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n" + extra +
                      "Content-Length: " + std::to_string(announce) +
                      "\r\nConnection: close\r\n\r\n";
    send_all(fd, out.data(), out.size());
    send_all(fd, payload.data(), payload.size());
  };

  if (have_fault && fault.kind == FakeFault::Kind::kStatus) {
    std::string extra = fault.retry_after_s >= 0
                            ? "Retry-After: " + std::to_string(fault.retry_after_s) + "\r\n"
                            : "";
    respond(fault.status, "Fault", extra, "injected", 8);
  } else if (have_fault && fault.kind == FakeFault::Kind::kRedirect) {
    std::string extra = "Location: " + fault.location + request.path + "\r\n";
    if (!fault.linked_etag.empty()) extra += "X-Linked-ETag: \"" + fault.linked_etag + "\"\r\n";
    respond(302, "Found", extra, "", 0);
  } else if (!found) {
    respond(404, "Not Found", "", "not found", 9);
  } else {
    if (have_fault && fault.kind == FakeFault::Kind::kWrongBytes && !body.empty()) body[0] ^= 0x5a;
    size_t start = 0;
    if (request.range.rfind("bytes=", 0) == 0) start = std::stoul(request.range.substr(6));
    if (start > body.size()) {
      respond(416, "Range Not Satisfiable", "", "", 0);
    } else {
      std::string part = body.substr(start);
      std::string extra = "Accept-Ranges: bytes\r\n";
      int status = 200;
      if (!request.range.empty()) {
        status = 206;
        extra += "Content-Range: bytes " + std::to_string(start) + "-" +
                 std::to_string(body.size() - 1) + "/" + std::to_string(body.size()) + "\r\n";
      }
      bool partial_fault = have_fault && (fault.kind == FakeFault::Kind::kResetAfter ||
                                          fault.kind == FakeFault::Kind::kTruncate ||
                                          fault.kind == FakeFault::Kind::kStall);
      if (partial_fault) {
        std::string sent = part.substr(0, std::min(fault.bytes, part.size()));
        respond(status, status == 200 ? "OK" : "Partial Content", extra, sent, part.size());
        if (fault.kind == FakeFault::Kind::kResetAfter) reset_connection(fd);
        if (fault.kind == FakeFault::Kind::kStall) {
          while (!stopping_) {
            pollfd pfd{fd, POLLIN, 0};
            if (::poll(&pfd, 1, 50) > 0) {
              char sink[256];
              if (::recv(fd, sink, sizeof(sink), 0) <= 0) break;  // client gave up
            }
          }
        }
      } else if (have_fault && fault.kind == FakeFault::Kind::kThrottle && fault.bytes > 0) {
        respond(status, status == 200 ? "OK" : "Partial Content", extra, "", part.size());
        for (size_t sent = 0; sent < part.size() && !stopping_; sent += fault.bytes) {
          size_t n = std::min(fault.bytes, part.size() - sent);
          if (!send_all(fd, part.data() + sent, n)) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      } else {
        respond(status, status == 200 ? "OK" : "Partial Content", extra, part, part.size());
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  }
  ::close(fd);
}

}  // namespace aae::testing
