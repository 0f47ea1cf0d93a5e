#include "limit_request.h"

#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charge_request.h"
#include "grid/proto/codec.h"
#include "grid/proto/limits.h"

namespace grid::edge {
namespace {

using json = nlohmann::json;

// Only a flat object of the numeric fields gets through; the first fault stops the parse.
class LimitSax {
public:
  explicit LimitSax(bool scheduled) : scheduled_(scheduled) {}

  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool null() { return wrong_type("null"); }
  bool boolean(bool) { return wrong_type("a boolean"); }
  bool number_integer(number_integer_t value) { return number(static_cast<double>(value)); }
  bool number_unsigned(number_unsigned_t value) { return number(static_cast<double>(value)); }
  bool number_float(number_float_t value, const string_t&) { return number(value); }
  bool string(string_t&) { return wrong_type("a string"); }
  bool binary(binary_t&) { return wrong_type("binary data"); }
  bool start_object(std::size_t) {
    if (depth_++ == 0) return true;
    return wrong_type("an object");
  }
  bool end_object() {
    if (out_of_range_) return reject(std::move(*out_of_range_));
    --depth_;
    return true;
  }
  bool start_array(std::size_t) { return depth_ == 0 ? reject("body must be a JSON object") : wrong_type("an array"); }
  bool end_array() { return reject("body must be a JSON object"); }
  bool key(string_t& name) {
    if (out_of_range_) return reject(std::move(*out_of_range_));
    bool* seen = seen_flag(name);
    if (seen == nullptr) {
      const std::string_view expected = scheduled_ ? "limit_kw, starts_in_s, duration_s" : "limit_kw, duration_s";
      if (name.size() > 64 || !proto::valid_id(name)) return reject(fmt::format("unknown field (expected {})", expected));
      return reject(fmt::format("unknown field '{}' (expected {})", name, expected));
    }
    if (*seen) return reject(fmt::format("duplicate field '{}'", name));
    *seen = true;
    key_ = std::move(name);
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) {
    constexpr int number_overflow = 406;
    if (error.id == number_overflow && !key_.empty()) return reject(fmt::format("{} must be a finite number", key_));
    return reject(fmt::format("malformed JSON at byte {}", position));
  }

  LimitParse result() && {
    if (rejection_) return *rejection_;
    if (!seen_limit_) return LimitRejection{400, "limit_kw is required (DELETE the limit to clear it)"};
    return input_;
  }
  bool rejected() const { return rejection_.has_value(); }

private:
  bool* seen_flag(const std::string& name) {
    if (name == "limit_kw") return &seen_limit_;
    if (name == "duration_s") return &seen_duration_;
    if (name == "starts_in_s" && scheduled_) return &seen_start_;
    return nullptr;
  }
  bool reject(std::string message) {
    if (!rejection_) rejection_ = LimitRejection{400, std::move(message)};
    return false;
  }
  bool wrong_type(std::string_view what) {
    if (depth_ == 0) return reject("body must be a JSON object");
    return reject(fmt::format("{} must be a number, not {}", key_, what));
  }
  bool number(double value) {
    if (depth_ == 0) return reject("body must be a JSON object");
    const bool limit = key_ == "limit_kw";
    const bool start = key_ == "starts_in_s";  // 0 is meaningful: at once
    const double max = limit ? proto::limits::max_capacity_kw : proto::limits::max_seconds;
    // Written so that NaN fails too. Not refused yet: "01" reaches us as 0 before the parser sees
    // the invalid JSON, which must be called that (as in charge_request.cpp).
    if (!((start ? value >= 0 : value > 0) && value <= max)) {
      out_of_range_ = fmt::format("{} must be {} 0 and at most {:.0f}", key_, start ? "at least" : "greater than", max);
      return true;
    }
    (limit ? input_.limit_kw : start ? input_.starts_in_s : input_.duration_s) = value;
    return true;
  }

  bool scheduled_;  // a feeder's: starts_in_s allowed
  int depth_ = 0;
  bool seen_limit_ = false;
  bool seen_duration_ = false;
  bool seen_start_ = false;
  std::string key_;
  LimitInput input_;
  std::optional<LimitRejection> rejection_;
  std::optional<std::string> out_of_range_;
};

LimitParse parse(std::string_view content_type, std::string_view body, bool scheduled) {
  if (!is_json_content_type(content_type)) {
    return LimitRejection{415, "Content-Type must be application/json (with charset UTF-8, if any)"};
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return LimitRejection{400, "body is empty: expected a JSON object with limit_kw"};
  }
  LimitSax sax(scheduled);
  bool parsed = false;
  try {
    parsed = json::sax_parse(body.data(), body.data() + body.size(), &sax, json::input_format_t::json, true, false);
  } catch (const json::exception&) {
    return LimitRejection{400, "malformed JSON"};
  }
  if (!parsed && !sax.rejected()) return LimitRejection{400, "malformed JSON"};
  return std::move(sax).result();
}

}  // namespace

LimitParse parse_limit_request(std::string_view content_type, std::string_view body) {
  return parse(content_type, body, false);
}

LimitParse parse_feeder_limit_request(std::string_view content_type, std::string_view body) {
  return parse(content_type, body, true);
}

}  // namespace grid::edge
