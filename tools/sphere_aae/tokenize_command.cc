// sphere_aae tokenize DIR --text TEXT [--json] [--add-special-tokens]: prints the token ids of
// TEXT space-separated (or {"ids": [...]} with --json).
// sphere_aae tokenize DIR --decode ID...: prints the text of the ids.
// DIR holds tokenizer.json, or vocab.json + merges.txt.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/tokenizer/tokenizer.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {
namespace {

struct TokenizeOptions {
  std::string dir;
  std::optional<std::string> text;
  std::vector<int64_t> decode_ids;
  bool json = false;
  bool add_special_tokens = false;
  bool skip_special_tokens = false;
};

Status run_tokenize(const TokenizeOptions& options) {
  if (options.text.has_value() == !options.decode_ids.empty()) {
    return Error("tokenize: give exactly one of --text TEXT or --decode ID...",
                 "e.g. sphere_aae tokenize DIR --text \"Hello\"");
  }
  AAE_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::from_dir(options.dir));
  if (options.text) {
    AAE_ASSIGN_OR_RETURN(std::vector<int32_t> ids,
                         tokenizer.encode(*options.text, options.add_special_tokens));
    if (options.json) {
      std::fputs((nlohmann::json{{"ids", ids}}.dump() + "\n").c_str(), stdout);
    } else {
      std::fputs((fmt::format("{}", fmt::join(ids, " ")) + "\n").c_str(), stdout);
    }
    return ok_status();
  }
  std::vector<int32_t> ids;
  for (int64_t id : options.decode_ids) {
    if (id < 0 || id >= tokenizer.vocab_size()) {
      return Error(fmt::format("tokenize: id {} is outside 0..{}", id, tokenizer.vocab_size() - 1));
    }
    ids.push_back(static_cast<int32_t>(id));
  }
  AAE_ASSIGN_OR_RETURN(std::string text, tokenizer.decode(ids, options.skip_special_tokens));
  if (options.json) {
    std::fputs((nlohmann::json{{"text", text}}.dump() + "\n").c_str(), stdout);
  } else {
    std::fputs((text + "\n").c_str(), stdout);
  }
  return ok_status();
}

}  // namespace

CommandRunner setup_tokenize(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  app.add_option("DIR", options->dir, "directory with tokenizer.json (or vocab.json + merges.txt)")
      ->required();
  app.add_option("--text", options->text, "text to encode");
  app.add_option("--decode", options->decode_ids, "token ids to decode");
  app.add_flag("--json", options->json, "print JSON ({\"ids\": [...]} or {\"text\": ...})");
  app.add_flag("--add-special-tokens", options->add_special_tokens,
               "run the post-processor (e.g. add BOS) when encoding");
  app.add_flag("--skip-special-tokens", options->skip_special_tokens,
               "drop special tokens when decoding");
  return [options] { return run_tokenize(*options); };
}

}  // namespace aae::cli
