// IncrementalDecoder: emits only complete UTF-8 characters (input layer). Bytes that
// can never complete a character are emitted at once as U+FFFD; a valid but
// unfinished tail waits for the next token.
#include "input/tokenizer/tokenizer.h"
#include "input/tokenizer/unicode.h"

namespace qvl {

IncrementalDecoder::IncrementalDecoder(const Tokenizer& tok, bool skip_special)
    : tok_(tok), skip_special_(skip_special) {}

std::string IncrementalDecoder::push(int32_t id) {
  if (skip_special_ && tok_.is_control(id)) return {};
  pending_ += tok_.token_bytes(id);
  std::string out;
  size_t i = 0, prefix;
  while (i < pending_.size()) {
    size_t len = unicode::utf8_sequence_length(pending_, i, &prefix);
    if (len) {
      out.append(pending_, i, len);
      i += len;
    } else if (i + prefix == pending_.size() && static_cast<uint8_t>(pending_[i]) >= 0xC2 &&
               static_cast<uint8_t>(pending_[i]) <= 0xF4) {
      break;  // a valid start that the next token may finish
    } else {
      out.append("\xEF\xBF\xBD");
      i += prefix;
    }
  }
  pending_.erase(0, i);
  return out;
}

std::string IncrementalDecoder::flush() {
  std::string out = unicode::repair_utf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace qvl
