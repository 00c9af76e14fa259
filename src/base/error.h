// Error values that cross function boundaries without exceptions.
//
// The containment sequence runs between clone() and execve(), where throwing
// is not an option: every step returns a Status (or Result<T>) carrying the
// errno and a sentence a person can act on.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace cordon {

struct Error {
  int err = 0;          // errno, 0 when the failure is not a system call's
  std::string message;  // what failed and on what ("mount /usr read-only")

  // "mount /usr read-only: Permission denied"
  [[nodiscard]] std::string what() const {
    if (err == 0) return message;
    return message + ": " + std::strerror(err);
  }
};

// Captures errno at the point of failure; call it right after the syscall.
inline Error sys_error(std::string message) { return Error{errno, std::move(message)}; }
inline Error plain_error(std::string message) { return Error{0, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  T& operator*() { return std::get<0>(v_); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// A Result with no value: success, or the first failure.
class [[nodiscard]] Status {
 public:
  Status() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): returning an Error is the point
  Status(Error error) : error_(std::move(error)), failed_(true) {}
  [[nodiscard]] bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

inline Status ok_status() { return {}; }

}  // namespace cordon

// Stops at the first failed step and hands its Error up unchanged.
#define CORDON_TRY(expr)                                        \
  do {                                                          \
    auto cordon_try_status_ = (expr);                           \
    if (!cordon_try_status_) return cordon_try_status_.error(); \
  } while (0)
