// Which files of a model directory an app needs, for dist/bundle/<model_id>/: the chat
// config, the tensor cache and every shard it lists, and the tokenizer files. Nothing else
// (MLC copies the whole directory, stray files included).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

struct BundleFile {
  std::string name;  // relative to the model directory (plain file names in practice)
  int64_t bytes = 0;
};

// Checks that the directory holds converted weights (a tensor cache whose shards are all
// present with the recorded sizes) and lists the files to bundle, shards last. Errors name the
// directory and the missing file, with a hint on how to produce it.
Result<std::vector<BundleFile>> model_bundle_files(const std::string& model_dir);

}  // namespace aae
