// Content keys for prefix caching: block i of a sequence is keyed by SHA-256 of
// block i-1's key and, for each of its kBlockTokens positions, the token id, its
// (t, h, w) rotary position and, for a vision position, the digest of the image
// or video features it carries and its row. Equal keys mean equal K/V, so a
// block may be shared between sequences (multi-turn chats, shared system
// prompts, the same image asked about twice).
#pragma once
#include <string>

#include "engine/request.h"

namespace qvl {

struct Sequence;

// SHA-256 of a span's features (main and DeepStack rows), 32 raw bytes.
std::string embedding_digest(const EmbeddingSpan& e);
// Extends s.block_keys to cover its first n_blocks full blocks (tokens must exist).
void extend_block_keys(Sequence& s, int64_t n_blocks);

}  // namespace qvl
