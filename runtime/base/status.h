// Errors as values. Every library boundary returns Result<T> (or Status) instead of throwing,
// so a bad file or a bad flag never reaches an assert or aborts the host app.
//
// An Error carries a one-line message, a chain of causes (outermost first after the message),
// and an optional hint for the user. The CLI prints them as:
//   error: <message>
//   caused by: <cause>      (one line per cause)
//   hint: <hint>
#pragma once

#include <cstdlib>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace aae {

// A coarse category for callers that branch on the kind of failure (the C API maps these to
// its status codes). Most errors are kGeneric: the message is what matters to a user.
enum class ErrorCode {
  kGeneric = 0,
  kInvalidArgument,   // a caller passed a bad value
  kNotFound,          // a file, tensor or symbol is missing
  kMismatch,          // weights do not fit the model library, ABI versions differ
  kContextOverflow,   // the sequence would exceed context_window_size
  kCancelled,         // a callback asked to stop
};

class Error {
 public:
  Error() = default;
  explicit Error(std::string message, std::string hint = {})
      : message_(std::move(message)), hint_(std::move(hint)) {}

  const std::string& message() const { return message_; }
  // Causes from the one just below message() down to the root cause.
  const std::vector<std::string>& causes() const { return causes_; }
  const std::string& hint() const { return hint_; }
  ErrorCode code() const { return code_; }
  Error& with_code(ErrorCode code) {
    code_ = code;
    return *this;
  }

  // Wraps this error in an outer context: the current message becomes the first cause.
  // Keeps an existing hint unless `hint` is given.
  Error& context(std::string outer_message, std::string hint = {}) {
    causes_.insert(causes_.begin(), std::move(message_));
    message_ = std::move(outer_message);
    if (!hint.empty()) hint_ = std::move(hint);
    return *this;
  }
  // Appends a cause below the existing ones (for errors that list several independent problems).
  Error& add_cause(std::string cause) {
    causes_.push_back(std::move(cause));
    return *this;
  }
  Error& with_hint(std::string hint) {
    hint_ = std::move(hint);
    return *this;
  }

  // "message: cause: cause" on one line, for logs and test assertions.
  std::string to_string() const {
    std::string out = message_;
    for (const auto& cause : causes_) out += ": " + cause;
    return out;
  }

 private:
  std::string message_;
  std::vector<std::string> causes_;
  std::string hint_;
  ErrorCode code_ = ErrorCode::kGeneric;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition: ok(). Calling value() on an error is a programming bug, not user input.
  T& value() & { return check(), std::get<0>(state_); }
  const T& value() const& { return check(), std::get<0>(state_); }
  T&& value() && { return check(), std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  void check() const {
    if (!ok()) std::abort();
  }
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace aae

#define AAE_CONCAT_INNER(a, b) a##b
#define AAE_CONCAT(a, b) AAE_CONCAT_INNER(a, b)

// Returns the error of a Status-or-Result expression from the enclosing function.
#define AAE_TRY(expr)                                       \
  do {                                                      \
    auto&& aae_try_result_ = (expr);                        \
    if (!aae_try_result_.ok()) return std::move(aae_try_result_).error(); \
  } while (0)

// AAE_ASSIGN_OR_RETURN(auto x, f()); declares x from a Result or returns its error.
#define AAE_ASSIGN_OR_RETURN(lhs, expr) \
  AAE_ASSIGN_OR_RETURN_IMPL(AAE_CONCAT(aae_result_, __LINE__), lhs, expr)
#define AAE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)     \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).error();       \
  lhs = std::move(tmp).value()
