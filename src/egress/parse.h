// The answer of every incremental parser of the egress path (SOCKS5, HTTP):
// the proxy feeds what it has read so far and reads more on Incomplete.
#pragma once

namespace cordon::egress {

enum class Parse {
  Complete,    // a whole message is in the buffer; its size says how much it used
  Incomplete,  // valid so far; read more and call again with the longer buffer
  Invalid,     // no continuation can make this valid: answer with an error and close
};

}  // namespace cordon::egress
